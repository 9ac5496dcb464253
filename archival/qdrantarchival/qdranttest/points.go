package qdranttest

import (
	"context"
	"math"
	"sort"
	"time"

	"github.com/qdrant/go-client/qdrant"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// UpdateBatch applies its operations in order, as Qdrant does (an operation that fails leaves
// the earlier ones applied).
func (s pointsSvc) UpdateBatch(_ context.Context, r *qdrant.UpdateBatchPoints) (*qdrant.UpdateBatchResponse, error) {
	start := time.Now()
	c, err := s.collection(r.GetCollectionName())
	if err != nil {
		return nil, err
	}
	resp := &qdrant.UpdateBatchResponse{}
	for _, op := range r.GetOperations() {
		if err := s.applyOp(c, op); err != nil {
			return nil, err
		}
		resp.Result = append(resp.Result, &qdrant.UpdateResult{Status: completed(r.Wait)})
	}
	resp.Time = since(start)
	return resp, nil
}

func (s *Server) applyOp(c *collection, op *qdrant.PointsUpdateOperation) error {
	switch o := op.GetOperation().(type) {
	case *qdrant.PointsUpdateOperation_Upsert:
		if o.Upsert.UpdateFilter != nil || o.Upsert.UpdateMode != nil {
			return unimplemented("conditional upserts")
		}
		points := make([]*point, 0, len(o.Upsert.GetPoints()))
		for _, ps := range o.Upsert.GetPoints() {
			p, err := c.newPoint(ps)
			if err != nil {
				return err
			}
			points = append(points, p)
		}
		for _, p := range points {
			k, _ := key(p.id)
			c.points[k] = p
		}
	case *qdrant.PointsUpdateOperation_SetPayload_:
		return s.setPayload(c, o.SetPayload.GetPointsSelector(), o.SetPayload.GetKey(), func(p *point) {
			for k, v := range clonePayload(o.SetPayload.GetPayload()) {
				p.payload[k] = v
			}
		})
	case *qdrant.PointsUpdateOperation_OverwritePayload_:
		return s.setPayload(c, o.OverwritePayload.GetPointsSelector(), o.OverwritePayload.GetKey(), func(p *point) {
			p.payload = clonePayload(o.OverwritePayload.GetPayload())
		})
	case *qdrant.PointsUpdateOperation_DeletePoints_:
		targets, err := s.selected(c, o.DeletePoints.GetPoints(), false)
		if err != nil {
			return err
		}
		for _, k := range targets {
			delete(c.points, k)
		}
	default:
		return unimplemented("this update operation")
	}
	return nil
}

// setPayload applies fn to the selected points. Selecting a point by an id that does not exist is
// an error, as in Qdrant.
func (s *Server) setPayload(c *collection, sel *qdrant.PointsSelector, nestedKey string, fn func(*point)) error {
	if nestedKey != "" {
		return unimplemented("nested payload keys")
	}
	targets, err := s.selected(c, sel, true)
	if err != nil {
		return err
	}
	for _, k := range targets {
		fn(c.points[k])
	}
	return nil
}

// selected returns the keys of the points sel names: by ids (those that exist, or an error when
// mustExist) or by filter.
func (s *Server) selected(c *collection, sel *qdrant.PointsSelector, mustExist bool) ([]string, error) {
	switch v := sel.GetPointsSelectorOneOf().(type) {
	case *qdrant.PointsSelector_Points:
		var out []string
		for _, id := range v.Points.GetIds() {
			k, err := key(id)
			if err != nil {
				return nil, err
			}
			if c.points[k] == nil {
				if mustExist {
					return nil, status.Errorf(codes.NotFound, "Not found: No point with id %s found", k[1:])
				}
				continue
			}
			out = append(out, k)
		}
		return out, nil
	case *qdrant.PointsSelector_Filter:
		points, err := s.sortedPoints(c, v.Filter)
		if err != nil {
			return nil, err
		}
		out := make([]string, len(points))
		for i, p := range points {
			out[i], _ = key(p.id)
		}
		return out, nil
	}
	return nil, invalid("Validation error in body: no points selector")
}

// Get returns the points of the given ids that exist, in the order asked.
func (s pointsSvc) Get(_ context.Context, r *qdrant.GetPoints) (*qdrant.GetResponse, error) {
	start := time.Now()
	c, err := s.collection(r.GetCollectionName())
	if err != nil {
		return nil, err
	}
	if err := noVectors(r.GetWithVectors()); err != nil {
		return nil, err
	}
	resp := &qdrant.GetResponse{}
	seen := map[string]bool{}
	for _, id := range r.GetIds() {
		k, err := key(id)
		if err != nil {
			return nil, err
		}
		if p := c.points[k]; p != nil && !seen[k] {
			seen[k] = true
			resp.Result = append(resp.Result, &qdrant.RetrievedPoint{Id: p.id, Payload: selectPayload(p.payload, r.GetWithPayload())})
		}
	}
	resp.Time = since(start)
	return resp, nil
}

func noVectors(sel *qdrant.WithVectorsSelector) error {
	if sel != nil && (sel.GetEnable() || sel.GetInclude() != nil) {
		return unimplemented("returning vectors")
	}
	return nil
}

// Scroll pages through the points passing the filter in point-id order (default limit 10).
func (s pointsSvc) Scroll(_ context.Context, r *qdrant.ScrollPoints) (*qdrant.ScrollResponse, error) {
	start := time.Now()
	c, err := s.collection(r.GetCollectionName())
	if err != nil {
		return nil, err
	}
	if err := noVectors(r.GetWithVectors()); err != nil {
		return nil, err
	}
	if r.OrderBy != nil {
		return nil, unimplemented("scroll order_by")
	}
	points, err := s.sortedPoints(c, r.GetFilter())
	if err != nil {
		return nil, err
	}
	if r.Offset != nil {
		from, err := key(r.Offset)
		if err != nil {
			return nil, err
		}
		i := sort.Search(len(points), func(i int) bool { k, _ := key(points[i].id); return k >= from })
		points = points[i:]
	}
	limit := 10
	if r.Limit != nil {
		limit = int(r.GetLimit())
	}
	resp := &qdrant.ScrollResponse{}
	if len(points) > limit {
		resp.NextPageOffset = points[limit].id
		points = points[:limit]
	}
	for _, p := range points {
		resp.Result = append(resp.Result, &qdrant.RetrievedPoint{Id: p.id, Payload: selectPayload(p.payload, r.GetWithPayload())})
	}
	resp.Time = since(start)
	return resp, nil
}

// Count counts the points passing the filter. Only exact counts are implemented.
func (s pointsSvc) Count(_ context.Context, r *qdrant.CountPoints) (*qdrant.CountResponse, error) {
	start := time.Now()
	c, err := s.collection(r.GetCollectionName())
	if err != nil {
		return nil, err
	}
	if !r.GetExact() {
		return nil, unimplemented("approximate counts")
	}
	points, err := s.sortedPoints(c, r.GetFilter())
	if err != nil {
		return nil, err
	}
	return &qdrant.CountResponse{Result: &qdrant.CountResult{Count: uint64(len(points))}, Time: since(start)}, nil
}

// Query runs one nearest query.
func (s pointsSvc) Query(_ context.Context, r *qdrant.QueryPoints) (*qdrant.QueryResponse, error) {
	start := time.Now()
	res, err := s.query(r)
	if err != nil {
		return nil, err
	}
	return &qdrant.QueryResponse{Result: res, Time: since(start)}, nil
}

// QueryBatch runs nearest queries of one collection, answering each in order.
func (s pointsSvc) QueryBatch(_ context.Context, r *qdrant.QueryBatchPoints) (*qdrant.QueryBatchResponse, error) {
	start := time.Now()
	resp := &qdrant.QueryBatchResponse{}
	for _, q := range r.GetQueryPoints() {
		if q.GetCollectionName() != r.GetCollectionName() {
			return nil, invalid("Wrong input: every query of a batch must name the batch's collection")
		}
		res, err := s.query(q)
		if err != nil {
			return nil, err
		}
		resp.Result = append(resp.Result, &qdrant.BatchResult{Result: res})
	}
	resp.Time = since(start)
	return resp, nil
}

// query answers a nearest query on one named vector: dense by the collection's distance (only
// cosine is implemented), sparse by dot product, with the IDF modifier when the vector has it.
// Results are best first, ties by point id, at most limit (default 10).
func (s *Server) query(r *qdrant.QueryPoints) ([]*qdrant.ScoredPoint, error) {
	c, err := s.collection(r.GetCollectionName())
	if err != nil {
		return nil, err
	}
	switch {
	case len(r.GetPrefetch()) > 0:
		return nil, unimplemented("prefetch")
	case r.GetQuery().GetNearest() == nil:
		return nil, unimplemented("a query other than nearest")
	case r.Offset != nil || r.ScoreThreshold != nil || r.LookupFrom != nil:
		return nil, unimplemented("offset, score_threshold or lookup_from")
	}
	if err := noVectors(r.GetWithVectors()); err != nil {
		return nil, err
	}
	name := r.GetUsing()
	points, err := s.sortedPoints(c, r.GetFilter())
	if err != nil {
		return nil, err
	}
	type scored struct {
		p     *point
		score float64
	}
	var out []scored
	in := r.GetQuery().GetNearest()
	switch {
	case in.GetDense() != nil:
		params := c.dense[name]
		if params == nil {
			return nil, invalid("Wrong input: Not existing vector name error: %s", name)
		}
		q := in.GetDense().GetData()
		if uint64(len(q)) != params.GetSize() {
			return nil, invalid("Wrong input: Vector dimension error: expected dim: %d, got %d", params.GetSize(), len(q))
		}
		if params.GetDistance() != qdrant.Distance_Cosine {
			return nil, unimplemented("distances other than cosine")
		}
		q = prepare(q, params.GetDistance())
		for _, p := range points {
			v := p.dense[name]
			var dot float32 // Qdrant scores in float32
			for i := range q {
				dot += q[i] * v[i]
			}
			out = append(out, scored{p, float64(dot)})
		}
	case in.GetSparse() != nil:
		params := c.sparse[name]
		if params == nil {
			return nil, invalid("Wrong input: Not existing vector name error: %s", name)
		}
		q, err := sparseMap(in.GetSparse())
		if err != nil {
			return nil, err
		}
		idf := func(uint32) float64 { return 1 }
		if params.GetModifier() == qdrant.Modifier_Idf {
			var n float64
			df := map[uint32]float64{}
			for _, p := range c.points {
				if sv := p.sparse[name]; len(sv) > 0 {
					n++
					for ix := range q {
						if _, ok := sv[ix]; ok {
							df[ix]++
						}
					}
				}
			}
			idf = func(ix uint32) float64 { return math.Log(1 + (n-df[ix]+0.5)/(df[ix]+0.5)) }
		}
		for _, p := range points {
			sv := p.sparse[name]
			var score float64
			shared := false
			for ix, w := range q {
				if d, ok := sv[ix]; ok {
					shared = true
					score += float64(w) * idf(ix) * float64(d)
				}
			}
			if shared {
				out = append(out, scored{p, float64(float32(score))})
			}
		}
	default:
		return nil, unimplemented("a nearest query other than a dense or sparse vector")
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].score > out[j].score }) // points are in id order
	limit := 10
	if r.Limit != nil {
		limit = int(r.GetLimit())
	}
	res := make([]*qdrant.ScoredPoint, 0, min(limit, len(out)))
	for _, sp := range out[:min(limit, len(out))] {
		res = append(res, &qdrant.ScoredPoint{Id: sp.p.id, Score: float32(sp.score), Payload: selectPayload(sp.p.payload, r.GetWithPayload())})
	}
	return res, nil
}
