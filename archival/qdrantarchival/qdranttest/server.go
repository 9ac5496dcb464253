// Package qdranttest is a protocol test server for qdrantarchival: an in-process gRPC server on
// the go-client's generated service interfaces (qdrant.QdrantServer, CollectionsServer,
// PointsServer) that records every request and answers from a brute-force in-memory store.
//
// It is not a Qdrant. It implements exactly the requests qdrantarchival sends, and refuses the
// rest (Unimplemented): health check; collection exists, create, get and delete; payload index
// creation; UpdateBatch with upsert, set payload, overwrite payload and delete (by ids or by
// filter); get by ids; scroll; exact count; and query and query batch with a dense or sparse
// nearest query, a filter and a payload selector (no prefetch, no server-side fusion, no vectors
// returned). Where Qdrant's behaviour matters to the answers it follows Qdrant's documentation:
// cosine vectors are normalized on insert and scored by dot product; a sparse vector with the IDF
// modifier scores Σ q·idf·d over shared indices with idf = ln(1 + (N-df+0.5)/(df+0.5)), N the
// collection's points holding that sparse vector and df those holding the index, and only points
// sharing an index are found; a keyword matches a list when any element equals it; is_empty holds
// for a missing field, null or []; datetimes compare as instants to the microsecond; scroll pages
// in point-id order; errors use Qdrant's codes and the words of its messages (NotFound for a
// missing collection, InvalidArgument "Vector dimension error" for a wrong length).
//
// It is stricter than Qdrant in one respect, to check the requests: a filter on a field without a
// payload index is refused (as Qdrant's strict mode does), so every filter qdrantarchival sends is
// backed by an index it created.
package qdranttest

import (
	"context"
	"fmt"
	"math"
	"net"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qdrant/go-client/qdrant"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// Request is one recorded request: the full gRPC method name's last part and a copy of the
// message.
type Request struct {
	Method string
	Msg    proto.Message
}

// Server is the protocol test server.
type Server struct {
	// Addr is the loopback host:port it listens on.
	Addr string

	grpc *grpc.Server
	mu   sync.Mutex
	cols map[string]*collection
	reqs []Request
	down bool
	fail map[string][]error
}

// Start starts a server on a loopback port, stopped when t ends.
func Start(t testing.TB) *Server {
	t.Helper()
	s, err := Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	return s
}

// Listen starts a server on addr.
func Listen(addr string) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	s := &Server{Addr: ln.Addr().String(), cols: map[string]*collection{}, fail: map[string][]error{}}
	s.grpc = grpc.NewServer(grpc.UnaryInterceptor(s.intercept))
	qdrant.RegisterQdrantServer(s.grpc, healthSvc{Server: s})
	qdrant.RegisterCollectionsServer(s.grpc, collectionsSvc{Server: s})
	qdrant.RegisterPointsServer(s.grpc, pointsSvc{Server: s})
	go s.grpc.Serve(ln)
	return s, nil
}

// Stop closes the listener and every connection at once.
func (s *Server) Stop() { s.grpc.Stop() }

// SetDown makes every request fail with Unavailable while down is true, as a server that is
// restarting answers.
func (s *Server) SetDown(down bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.down = down
}

// FailNext makes the next call of method (e.g. "UpdateBatch") fail with err, which should be a
// gRPC status error; calling it n times queues n failures.
func (s *Server) FailNext(method string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail[method] = append(s.fail[method], err)
}

// Requests returns the recorded requests of the given methods (all of them when none is given),
// oldest first.
func (s *Server) Requests(methods ...string) []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Request
	for _, r := range s.reqs {
		if len(methods) == 0 || slices.Contains(methods, r.Method) {
			out = append(out, r)
		}
	}
	return out
}

// ResetRequests forgets the recorded requests.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reqs = nil
}

// PointCount returns how many points a collection holds (0 when it does not exist).
func (s *Server) PointCount(name string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.cols[name]; c != nil {
		return len(c.points)
	}
	return 0
}

// intercept records the request and serializes the handlers, which then need no locking.
func (s *Server) intercept(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	method := info.FullMethod[strings.LastIndexByte(info.FullMethod, '/')+1:]
	s.mu.Lock()
	defer s.mu.Unlock()
	if m, ok := req.(proto.Message); ok {
		s.reqs = append(s.reqs, Request{Method: method, Msg: proto.Clone(m)})
	}
	if s.down {
		return nil, status.Error(codes.Unavailable, "protocol server is down")
	}
	if q := s.fail[method]; len(q) > 0 {
		s.fail[method] = q[1:]
		return nil, q[0]
	}
	return handler(ctx, req)
}

// The three services, apart because Collections and Points share method names (Get, Delete).
type (
	healthSvc struct {
		qdrant.UnimplementedQdrantServer
		*Server
	}
	collectionsSvc struct {
		qdrant.UnimplementedCollectionsServer
		*Server
	}
	pointsSvc struct {
		qdrant.UnimplementedPointsServer
		*Server
	}
)

func unimplemented(what string) error {
	return status.Errorf(codes.Unimplemented, "qdranttest: %s is not implemented by the protocol server", what)
}

func invalid(format string, args ...any) error {
	return status.Errorf(codes.InvalidArgument, format, args...)
}

// HealthCheck answers with the Qdrant version the go-client targets.
func (s healthSvc) HealthCheck(context.Context, *qdrant.HealthCheckRequest) (*qdrant.HealthCheckReply, error) {
	return &qdrant.HealthCheckReply{Title: "qdranttest protocol server", Version: "1.17.0"}, nil
}

func (s *Server) collection(name string) (*collection, error) {
	c := s.cols[name]
	if c == nil {
		return nil, status.Errorf(codes.NotFound, "Not found: Collection `%s` doesn't exist!", name)
	}
	return c, nil
}

// since is the start time of a response's Time field.
func since(t time.Time) float64 { return time.Since(t).Seconds() }

// ---- collections

// CollectionExists reports whether a collection exists.
func (s collectionsSvc) CollectionExists(_ context.Context, r *qdrant.CollectionExistsRequest) (*qdrant.CollectionExistsResponse, error) {
	return &qdrant.CollectionExistsResponse{Result: &qdrant.CollectionExists{Exists: s.cols[r.GetCollectionName()] != nil}}, nil
}

// Create creates a collection of named dense vectors and named sparse vectors.
func (s collectionsSvc) Create(_ context.Context, r *qdrant.CreateCollection) (*qdrant.CollectionOperationResponse, error) {
	name := r.GetCollectionName()
	if name == "" {
		return nil, invalid("Validation error in body: collection_name must not be empty")
	}
	if s.cols[name] != nil {
		return nil, status.Errorf(codes.AlreadyExists, "Wrong input: Collection `%s` already exists!", name)
	}
	vc := r.GetVectorsConfig()
	if vc.GetParams() != nil {
		return nil, unimplemented("an unnamed vector")
	}
	dense := vc.GetParamsMap().GetMap()
	for n, p := range dense {
		if p.GetSize() == 0 || p.GetDistance() == qdrant.Distance_UnknownDistance {
			return nil, invalid("Validation error in body: vector %q needs a size and a distance", n)
		}
	}
	c := &collection{create: proto.Clone(r).(*qdrant.CreateCollection), dense: dense,
		sparse: r.GetSparseVectorsConfig().GetMap(), indexes: map[string]*index{}, points: map[string]*point{}}
	s.cols[name] = c
	return &qdrant.CollectionOperationResponse{Result: true}, nil
}

// Get describes a collection: its vectors and payload indexes.
func (s collectionsSvc) Get(_ context.Context, r *qdrant.GetCollectionInfoRequest) (*qdrant.GetCollectionInfoResponse, error) {
	c, err := s.collection(r.GetCollectionName())
	if err != nil {
		return nil, err
	}
	schema := map[string]*qdrant.PayloadSchemaInfo{}
	for f, ix := range c.indexes {
		schema[f] = &qdrant.PayloadSchemaInfo{DataType: schemaType(ix.typ), Params: ix.params, Points: qdrant.PtrOf(uint64(len(c.points)))}
	}
	n := uint64(len(c.points))
	return &qdrant.GetCollectionInfoResponse{Result: &qdrant.CollectionInfo{
		Status: qdrant.CollectionStatus_Green,
		Config: &qdrant.CollectionConfig{
			Params: &qdrant.CollectionParams{ShardNumber: 1, VectorsConfig: c.create.GetVectorsConfig(),
				SparseVectorsConfig: c.create.GetSparseVectorsConfig()},
			HnswConfig: c.create.GetHnswConfig(),
		},
		PayloadSchema: schema, PointsCount: &n,
	}}, nil
}

func schemaType(t qdrant.FieldType) qdrant.PayloadSchemaType {
	switch t {
	case qdrant.FieldType_FieldTypeKeyword:
		return qdrant.PayloadSchemaType_Keyword
	case qdrant.FieldType_FieldTypeDatetime:
		return qdrant.PayloadSchemaType_Datetime
	case qdrant.FieldType_FieldTypeInteger:
		return qdrant.PayloadSchemaType_Integer
	case qdrant.FieldType_FieldTypeFloat:
		return qdrant.PayloadSchemaType_Float
	case qdrant.FieldType_FieldTypeBool:
		return qdrant.PayloadSchemaType_Bool
	}
	return qdrant.PayloadSchemaType_UnknownType
}

// Delete drops a collection.
func (s collectionsSvc) Delete(_ context.Context, r *qdrant.DeleteCollection) (*qdrant.CollectionOperationResponse, error) {
	_, ok := s.cols[r.GetCollectionName()]
	delete(s.cols, r.GetCollectionName())
	return &qdrant.CollectionOperationResponse{Result: ok}, nil
}

// CreateFieldIndex records a payload index.
func (s pointsSvc) CreateFieldIndex(_ context.Context, r *qdrant.CreateFieldIndexCollection) (*qdrant.PointsOperationResponse, error) {
	c, err := s.collection(r.GetCollectionName())
	if err != nil {
		return nil, err
	}
	if r.GetFieldName() == "" || r.FieldType == nil {
		return nil, invalid("Wrong input: a payload index needs a field name and a type")
	}
	switch r.GetFieldType() {
	case qdrant.FieldType_FieldTypeKeyword, qdrant.FieldType_FieldTypeDatetime:
	default:
		return nil, unimplemented(fmt.Sprintf("a %v payload index", r.GetFieldType()))
	}
	c.indexes[r.GetFieldName()] = &index{typ: r.GetFieldType(), params: r.GetFieldIndexParams()}
	return &qdrant.PointsOperationResponse{Result: &qdrant.UpdateResult{Status: completed(r.Wait)}}, nil
}

// completed is the status of an update: Completed when the client waited, else Acknowledged.
func completed(wait *bool) qdrant.UpdateStatus {
	if wait != nil && *wait {
		return qdrant.UpdateStatus_Completed
	}
	return qdrant.UpdateStatus_Acknowledged
}

// ---- collection state

type collection struct {
	create  *qdrant.CreateCollection
	dense   map[string]*qdrant.VectorParams
	sparse  map[string]*qdrant.SparseVectorParams
	indexes map[string]*index
	points  map[string]*point
}

type index struct {
	typ    qdrant.FieldType
	params *qdrant.PayloadIndexParams
}

type point struct {
	id      *qdrant.PointId
	payload map[string]*qdrant.Value
	dense   map[string][]float32
	sparse  map[string]map[uint32]float32
}

// key is a point id's map key (UUIDs in canonical lowercase, numbers zero-padded so that both
// sort in Qdrant's order).
func key(id *qdrant.PointId) (string, error) {
	switch v := id.GetPointIdOptions().(type) {
	case *qdrant.PointId_Uuid:
		u := strings.ToLower(v.Uuid)
		if len(u) != 36 || strings.Count(u, "-") != 4 {
			return "", invalid("Unable to parse UUID: %s", v.Uuid)
		}
		return "u" + u, nil
	case *qdrant.PointId_Num:
		return fmt.Sprintf("n%020d", v.Num), nil
	}
	return "", invalid("Wrong input: empty point id")
}

func clonePayload(p map[string]*qdrant.Value) map[string]*qdrant.Value {
	out := make(map[string]*qdrant.Value, len(p))
	for k, v := range p {
		out[k] = proto.Clone(v).(*qdrant.Value)
	}
	return out
}

// newPoint validates a point against the collection's vectors: known names, dense lengths,
// sparse indices unique and as many as values. Cosine vectors are normalized, as Qdrant stores
// them.
func (c *collection) newPoint(ps *qdrant.PointStruct) (*point, error) {
	if _, err := key(ps.GetId()); err != nil {
		return nil, err
	}
	p := &point{id: ps.GetId(), payload: clonePayload(ps.GetPayload()), dense: map[string][]float32{}, sparse: map[string]map[uint32]float32{}}
	named := ps.GetVectors().GetVectors().GetVectors()
	if ps.GetVectors().GetVector() != nil {
		return nil, invalid("Wrong input: Not existing vector name error: ")
	}
	for name, v := range named {
		switch {
		case v.GetDense() != nil:
			params := c.dense[name]
			if params == nil {
				return nil, invalid("Wrong input: Not existing vector name error: %s", name)
			}
			data := v.GetDense().GetData()
			if uint64(len(data)) != params.GetSize() {
				return nil, invalid("Wrong input: Vector dimension error: expected dim: %d, got %d", params.GetSize(), len(data))
			}
			p.dense[name] = prepare(data, params.GetDistance())
		case v.GetSparse() != nil:
			if c.sparse[name] == nil {
				return nil, invalid("Wrong input: Not existing vector name error: %s", name)
			}
			sv, err := sparseMap(v.GetSparse())
			if err != nil {
				return nil, err
			}
			p.sparse[name] = sv
		default:
			return nil, unimplemented("a vector other than dense or sparse (or the deprecated data field)")
		}
	}
	for name := range c.dense {
		if p.dense[name] == nil {
			return nil, invalid("Wrong input: Vector %s is missing", name)
		}
	}
	return p, nil
}

func sparseMap(v *qdrant.SparseVector) (map[uint32]float32, error) {
	if len(v.GetIndices()) != len(v.GetValues()) {
		return nil, invalid("Validation error in body: sparse indices and values must have the same length")
	}
	m := make(map[uint32]float32, len(v.GetIndices()))
	for i, ix := range v.GetIndices() {
		if _, dup := m[ix]; dup {
			return nil, invalid("Validation error in body: sparse indices must be unique")
		}
		m[ix] = v.GetValues()[i]
	}
	return m, nil
}

// prepare normalizes a cosine vector (a zero vector stays zero).
func prepare(v []float32, d qdrant.Distance) []float32 {
	out := slices.Clone(v)
	if d != qdrant.Distance_Cosine {
		return out
	}
	var sum float64
	for _, x := range v {
		sum += float64(x) * float64(x)
	}
	if sum == 0 {
		return out
	}
	inv := 1 / math.Sqrt(sum)
	for i := range out {
		out[i] = float32(float64(out[i]) * inv)
	}
	return out
}

// sortedPoints returns the points passing f, in point-id order.
func (s *Server) sortedPoints(c *collection, f *qdrant.Filter) ([]*point, error) {
	if err := c.checkFilter(f); err != nil {
		return nil, err
	}
	keys := make([]string, 0, len(c.points))
	for k := range c.points {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []*point
	for _, k := range keys {
		p := c.points[k]
		if f == nil || match(f, p) {
			out = append(out, p)
		}
	}
	return out, nil
}
