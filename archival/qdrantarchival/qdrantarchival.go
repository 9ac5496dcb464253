// Package qdrantarchival is the Qdrant archival backend, over the official gRPC client
// (github.com/qdrant/go-client). It passes the archivaltest conformance suite and mirrors
// memarchival and pgarchival: the same validation and defaults, the same filters on both
// candidate lists, lists max(50, 5k) deep, tie-aware dense ranks (rank.Ranks), fusion by
// rank.Default in Go, and the same tie-breaks.
//
// # Layout
//
// One collection per deployment (Config.Collection), multitenant by payload, as Qdrant
// recommends for many small tenants: every point carries its agent in agent_id, a keyword payload
// index with is_tenant set, and the collection's HNSW graph is built per tenant (m = 0,
// payload_m = 16) since every query filters by agent. Further payload indexes: status, key,
// tags (keyword), valid_from and valid_to (datetime). A passage is one point whose id is a UUID
// derived from (agent, passage id) (PointID), with two named vectors: "dense" (cosine) and
// "lexical", a sparse vector with Qdrant's IDF modifier. Every field of the passage is in the
// payload (see payload.go); the exact float32 embedding is kept there too, base64-encoded,
// because Qdrant normalizes cosine vectors on insert and Get must return the vector as given.
//
// # Search
//
// The dense and lexical lists are two queries of one QueryBatch request, each filtered alike
// (agent, then as_of's interval or status, then tags). They are fused here, not by Qdrant's
// fusion: Qdrant returns only fused scores, while a Hit carries each list's rank and score, and
// ranks must be tie-aware and fused by rank.Default as on the other stores. The lexical half is
// BM25: tokens are embed.Tokenize's (lowercased, no stemming, no stopwords), hashed to sparse
// indices (FNV-1a 32); a passage's weight per term is BM25's tf·(k1+1)/(tf+k1·(1-b+b·dl/avgdl))
// with a fixed avgdl (Config.AvgDocLen), and Qdrant multiplies in idf = ln(1 + (N-df+0.5)/(df+0.5))
// over the whole collection at query time. Its statistics are therefore collection-wide, every
// agent's and every tenant's points together: another agent's text changes an agent's lexical
// scores, and the conformance suite's LexicalStatsPerAgent is skipped here. (memarchival's and
// pgarchival's statistics are per agent.) Qdrant's IDF modifier has no per-filter statistics.
//
// # Writes: the outbox, the history and the key rule
//
// Qdrant has no transactions, and the history and the key rule need them. Every write therefore
// goes through an outbox.Store in the state store's database (SQLite or PostgreSQL):
//
//  1. Lock the agents (outbox.Store.Lock: in-process, and across replicas on PostgreSQL).
//  2. Apply the agents' pending outbox entries, if any, so Qdrant holds every earlier write.
//  3. Read the passages the write touches from Qdrant, and the chains of the keys it touches;
//     work out the key rule (archival.ResolveKey) and the history (archival.Diff).
//  4. Append the intent (one entry per agent: the points to upsert whole, the payloads to
//     overwrite or patch, the points to delete) and the history events in one transaction.
//  5. Apply each entry to Qdrant in one ordered UpdateBatch with wait=true, then delete it.
//
// A write is acknowledged only after step 5, so a search that follows it sees it. A crash after
// step 4 leaves the entry pending; New applies every pending entry before it returns (before the
// service serves), a periodic drain (Start) applies entries left by failed calls, and step 2
// applies an agent's entries before its next write. Applying an entry is idempotent (whole-point
// upserts and absolute payload values), so applying one twice is harmless. The history is
// written with the intent, so it never misses a change that Qdrant holds.
//
// Where this differs from a transaction: once step 4 committed, a failure of step 5 (Qdrant
// unreachable, a timeout) returns an error wrapping archival.ErrUnavailable, yet the write is not
// undone: it stays pending and is applied later, like a database commit whose acknowledgement was
// lost. Retrying it is harmless. A batch spanning several agents is one entry per agent, so after
// such a failure some agents' part may be visible before the rest. Step 5 runs with ctx's values but not its cancellation (bounded by
// Config.WriteTimeout), so a caller that gives up after step 4 does not leave the write half done.
// An entry that Qdrant refuses as malformed (InvalidArgument) on a drain is dropped and logged: it
// was never acknowledged, and validation before step 4 makes it a bug.
//
// Serialization per (agent, key) is per agent here (as in pgarchival). With the SQLite outbox
// only one process writes; with PostgreSQL, replicas exclude each other through advisory locks
// held for the whole write. One narrow gap remains: if a replica's database connection drops
// after step 4 and before step 5, its lock is gone, and another replica may apply the same
// entry and a later write of that agent before the first replica's step 5 lands and reverts the
// later write's points (until they are written again). Qdrant's conditional updates could close
// it; they are not used.
//
// Errors: gRPC Unavailable, DeadlineExceeded, ResourceExhausted and Aborted, and a collection
// that no longer exists, wrap archival.ErrUnavailable; InvalidArgument about a vector's dimension
// wraps archival.ErrDimensionMismatch, other InvalidArguments archival.ErrInvalid. A missing
// passage is archival.ErrNotFound. Differences from the other stores: times are kept to the
// microsecond and returned in UTC; strings must be valid UTF-8 without NUL (ErrInvalid on
// Upsert), as protobuf and PostgreSQL require; no stemming in the lexical half.
package qdrantarchival

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/qdrant/go-client/qdrant"
	"google.golang.org/grpc"

	"github.com/memsvc/memsvc/archival"
	"github.com/memsvc/memsvc/archival/outbox"
)

// MaxK is the largest number of hits one Search may ask for (as on the other stores).
const MaxK = 1000

// DefaultCollection is the collection a deployment uses unless told otherwise.
const DefaultCollection = "memsvc_passages"

// Config configures New.
type Config struct {
	// Host and Port name Qdrant's gRPC endpoint (default port 6334).
	Host string
	Port int
	// APIKey, when set, is sent with every request; TLS dials with TLS.
	APIKey string
	TLS    bool
	// Collection is the deployment's collection (default DefaultCollection). New creates it,
	// with its payload indexes, when it does not exist.
	Collection string
	// Dim is the embedder's vector dimension; an existing collection of another size is
	// ErrDimensionMismatch.
	Dim int
	// Outbox keeps write intents and the history (required).
	Outbox outbox.Store
	Logger *slog.Logger
	// DrainInterval is how often Start's drain applies pending entries (default 5s).
	DrainInterval time.Duration
	// WriteTimeout bounds applying one write to Qdrant (default 30s).
	WriteTimeout time.Duration
	// AvgDocLen is BM25's average passage length in tokens (default 48).
	AvgDocLen float64
	// GRPCOptions are added to the client's dial options (interceptors, keepalive, a dialer).
	GRPCOptions []grpc.DialOption

	// AfterAppend, when set, is called after a write's intent is committed to the outbox and
	// before it is applied to Qdrant. Tests use it to crash between the two stores.
	AfterAppend func()
}

func (c *Config) setDefaults() error {
	if c.Port == 0 {
		c.Port = 6334
	}
	if c.Collection == "" {
		c.Collection = DefaultCollection
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.DrainInterval <= 0 {
		c.DrainInterval = 5 * time.Second
	}
	if c.WriteTimeout <= 0 {
		c.WriteTimeout = 30 * time.Second
	}
	if c.AvgDocLen <= 0 {
		c.AvgDocLen = 48
	}
	switch {
	case c.Host == "":
		return fmt.Errorf("qdrantarchival: no host: %w", archival.ErrInvalid)
	case c.Dim <= 0:
		return fmt.Errorf("qdrantarchival: dimension %d: %w", c.Dim, archival.ErrInvalid)
	case c.Outbox == nil:
		return fmt.Errorf("qdrantarchival: no outbox: %w", archival.ErrInvalid)
	}
	return nil
}

// ParseURL reads qdrant://[api-key@]host[:port][/collection][?tls=true] into the connection
// fields of a Config.
func ParseURL(raw string) (Config, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return Config{}, fmt.Errorf("qdrantarchival: %q: %w", raw, err)
	}
	if u.Scheme != "qdrant" || u.Host == "" {
		return Config{}, fmt.Errorf("qdrantarchival: %q: want qdrant://host:port[/collection]", raw)
	}
	c := Config{Host: u.Hostname(), Port: 6334}
	if p := u.Port(); p != "" {
		if c.Port, err = strconv.Atoi(p); err != nil || c.Port <= 0 || c.Port > 65535 {
			return Config{}, fmt.Errorf("qdrantarchival: %q: bad port %q", raw, p)
		}
	}
	if u.User != nil {
		c.APIKey = u.User.Username()
	}
	if name := u.Path; len(name) > 1 {
		c.Collection = name[1:]
	}
	switch tls := u.Query().Get("tls"); tls {
	case "", "false", "0":
	case "true", "1":
		c.TLS = true
	default:
		return Config{}, fmt.Errorf("qdrantarchival: %q: tls=%q, want true or false", raw, tls)
	}
	return c, nil
}

// Addr is the host:port the configuration dials.
func (c Config) Addr() string { return net.JoinHostPort(c.Host, strconv.Itoa(c.Port)) }

// Store is the Qdrant archival store. It is safe for concurrent use.
type Store struct {
	cfg    Config
	client *qdrant.Client
	points qdrant.PointsClient

	mu     sync.Mutex // guards cancel and done
	cancel context.CancelFunc
	done   chan struct{}
}

var _ archival.Store = (*Store)(nil)

// New connects to Qdrant, creates the collection and its indexes when missing (checking the
// dimension of an existing one), and applies every pending outbox entry, so that the store holds
// every acknowledged write before it serves. Close releases the connection.
func New(ctx context.Context, cfg Config) (*Store, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	opts := append([]grpc.DialOption{grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(64 << 20))}, cfg.GRPCOptions...)
	client, err := qdrant.NewClient(&qdrant.Config{Host: cfg.Host, Port: cfg.Port, APIKey: cfg.APIKey, UseTLS: cfg.TLS,
		SkipCompatibilityCheck: true, PoolSize: 1, GrpcOptions: opts})
	if err != nil {
		return nil, fmt.Errorf("qdrantarchival: connect %s: %w", cfg.Addr(), err)
	}
	s := &Store{cfg: cfg, client: client, points: client.GetPointsClient()}
	if err := s.open(ctx); err != nil {
		return nil, errors.Join(err, client.Close())
	}
	return s, nil
}

func (s *Store) open(ctx context.Context) error {
	reply, err := s.client.GetQdrantClient().HealthCheck(ctx, &qdrant.HealthCheckRequest{})
	if err != nil {
		return fmt.Errorf("qdrantarchival: health check of %s: %w", s.cfg.Addr(), grpcErr(ctx, err))
	}
	s.cfg.Logger.Info("qdrant archival", "addr", s.cfg.Addr(), "version", reply.GetVersion(), "collection", s.cfg.Collection)
	if err := s.ensureCollection(ctx); err != nil {
		return err
	}
	if n, err := s.Drain(ctx); err != nil {
		return fmt.Errorf("qdrantarchival: replay the outbox: %w", err)
	} else if n > 0 {
		s.cfg.Logger.Warn("qdrant archival: applied pending writes left by an earlier run", "entries", n)
	}
	return nil
}

// Ping reports whether Qdrant answers its health check (ErrUnavailable when it does not).
func (s *Store) Ping(ctx context.Context) error {
	if _, err := s.client.GetQdrantClient().HealthCheck(ctx, &qdrant.HealthCheckRequest{}); err != nil {
		return fmt.Errorf("qdrantarchival: health check: %w", grpcErr(ctx, err))
	}
	return nil
}

// Dim is the vector dimension the store was opened with.
func (s *Store) Dim() int { return s.cfg.Dim }

// Collection is the collection the store uses.
func (s *Store) Collection() string { return s.cfg.Collection }

// Close stops the drain (if started) and closes the connection.
func (s *Store) Close() error {
	s.Stop()
	return s.client.Close()
}
