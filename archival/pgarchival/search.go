package pgarchival

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"sync"

	"github.com/jackc/pgx/v5"

	"github.com/memsvc/memsvc/archival"
)

// Search returns up to q.K hits of q.AgentID, best first. It fuses two candidate lists with
// rank.Default: dense (cosine over the HNSW index; only when q.Vector is set and not zero) and
// lexical (BM25 over the words of q.Text), both filtered alike (see filter). Ties in relevance go
// to the higher cosine, then the newer passage, then the smaller id.
//
// The two lists are read at once, each in one round trip on its own connection, so a hybrid
// search takes about as long as its slower half. Both lists come with their passages whole (the
// lists' rows are read from the heap anyway, to filter them), so the best k need no further
// query.
//
// ErrInvalid: empty agent, K outside 1..MaxK, a non-finite vector or an AsOf beyond unix
// nanoseconds. ErrDimensionMismatch: a vector that is neither empty nor of length Dim.
func (s *Store) Search(ctx context.Context, q archival.Query) ([]archival.Hit, error) {
	if err := s.validate(q); err != nil {
		return nil, fmt.Errorf("pgarchival: search: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("pgarchival: search: %w", err)
	}
	if !storable(q.AgentID) {
		return []archival.Hit{}, nil // no passage can belong to it
	}
	f := newFilter(q)
	depth := archival.Depth(q.K)
	var dense, lexical []*archival.Candidate
	// One map per list: the lists are read concurrently.
	denseRead, lexicalRead := map[string]archival.Passage{}, map[string]archival.Passage{}
	var batches []*pgx.Batch
	if nonZero(q.Vector) {
		b := &pgx.Batch{}
		queueSettings(b, q.AgentID, depth)
		queueDense(b, q, f, depth, &dense, denseRead)
		batches = append(batches, b)
	}
	if text, ok := lexicalText(q.Text); ok {
		b := &pgx.Batch{}
		b.Queue(`SELECT set_config('plan_cache_mode', 'force_custom_plan', true)`) // see queueSettings
		queueLexical(b, q.AgentID, text, f, depth, &lexical, lexicalRead)
		batches = append(batches, b)
	}
	if err := s.send(ctx, batches); err != nil {
		return nil, fmt.Errorf("pgarchival: search: %w", dbErr(ctx, err))
	}
	maps.Copy(denseRead, lexicalRead)
	return archival.Hits(ctx, archival.Fuse(dense, lexical), q.K,
		func(_ context.Context, ids []string) (map[string]archival.Passage, error) {
			return denseRead, nil // holds every candidate's passage
		})
}

// send runs the batches, each on its own connection and all at once, and returns the first error.
func (s *Store) send(ctx context.Context, batches []*pgx.Batch) error {
	if len(batches) == 1 {
		return s.pool.SendBatch(ctx, batches[0]).Close()
	}
	errs := make([]error, len(batches))
	var wg sync.WaitGroup
	for i, b := range batches {
		wg.Go(func() { errs[i] = s.pool.SendBatch(ctx, b).Close() })
	}
	wg.Wait()
	return errors.Join(errs...)
}

func (s *Store) validate(q archival.Query) error {
	switch {
	case q.AgentID == "":
		return fmt.Errorf("empty agent id: %w", archival.ErrInvalid)
	case q.K < 1 || q.K > MaxK:
		return fmt.Errorf("k = %d, want 1..%d: %w", q.K, MaxK, archival.ErrInvalid)
	case len(q.Vector) != 0 && len(q.Vector) != s.dim:
		return fmt.Errorf("query vector length %d, want %d: %w", len(q.Vector), s.dim, archival.ErrDimensionMismatch)
	case q.AsOf != nil && !representable(*q.AsOf):
		return fmt.Errorf("as_of %v out of range: %w", *q.AsOf, archival.ErrInvalid)
	}
	return checkFinite(q.Vector)
}
