package memarchival

import (
	"context"
	"fmt"

	"github.com/memsvc/memsvc/archival"
	"github.com/memsvc/memsvc/rank"
)

// Search returns up to q.K hits of q.AgentID, best first. It fuses two candidate lists with
// rank.Default: dense (cosine over the vector index; only when q.Vector is set and not zero) and
// lexical (FTS5 BM25 over the words of q.Text), both filtered alike (see filter). Ties in
// relevance go to the higher cosine, then the newer passage, then the smaller id.
//
// ErrInvalid: empty agent, K outside 1..MaxK, a non-finite vector or an AsOf beyond unix
// nanoseconds. ErrDimensionMismatch: a vector that is neither empty nor of length Dim.
func (s *Store) Search(ctx context.Context, q archival.Query) ([]archival.Hit, error) {
	if err := s.validate(q); err != nil {
		return nil, fmt.Errorf("memarchival: search: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("memarchival: search: %w", err)
	}
	f := newFilter(q)
	depth := archival.Depth(q.K)
	cands := s.dense(q, f, depth)
	if err := s.lexical(ctx, q, f, depth, cands); err != nil {
		return nil, fmt.Errorf("memarchival: search: lexical: %w", err)
	}
	ranked := make([]*archival.Candidate, 0, len(cands))
	for _, c := range cands {
		ranked = append(ranked, c)
	}
	archival.Order(ranked)
	hits, err := s.hits(ctx, q.AgentID, ranked, q.K)
	if err != nil {
		return nil, fmt.Errorf("memarchival: search: %w", err)
	}
	return hits, nil
}

func (s *Store) validate(q archival.Query) error {
	switch {
	case q.AgentID == "":
		return fmt.Errorf("empty agent id: %w", archival.ErrInvalid)
	case q.K < 1 || q.K > MaxK:
		return fmt.Errorf("k = %d, want 1..%d: %w", q.K, MaxK, archival.ErrInvalid)
	case len(q.Vector) != 0 && len(q.Vector) != s.dim:
		return fmt.Errorf("query vector length %d, want %d: %w", len(q.Vector), s.dim, archival.ErrDimensionMismatch)
	case q.AsOf != nil && !archival.Representable(*q.AsOf):
		return fmt.Errorf("as_of %v out of range: %w", *q.AsOf, archival.ErrInvalid)
	}
	return archival.CheckFinite(q.Vector)
}

// dense returns the dense candidates of q, keyed by id; an empty map when q has no usable vector.
func (s *Store) dense(q archival.Query, f filter, depth int) map[string]*archival.Candidate {
	cands := make(map[string]*archival.Candidate)
	if !nonZero(q.Vector) {
		return cands
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	ents := s.meta[q.AgentID]
	keep := func(id string) bool {
		e := ents[id]
		return e != nil && f.keep(e)
	}
	res := s.idx.Search(q.AgentID, q.Vector, depth, keep)
	scores := make([]float64, len(res))
	for i, r := range res {
		scores[i] = r.Score
	}
	ranks := rank.Ranks(scores)
	for i, r := range res {
		cands[r.ID] = &archival.Candidate{ID: r.ID, Dense: r.Score, DenseRank: ranks[i], CreatedAt: ents[r.ID].createdAt}
	}
	return cands
}

func nonZero(v []float32) bool {
	for _, x := range v {
		if x != 0 {
			return true
		}
	}
	return false
}

// lexical adds the BM25 candidates of q to cands. FTS5 ranks the matching rows of every agent
// (the index has no agent column); they are read best first, and the agent and filter are
// checked in memory, by the same keep as the dense list, until depth are kept. Checking in memory
// spares a passages-row lookup per match, which dominated the cost of a join.
func (s *Store) lexical(ctx context.Context, q archival.Query, f filter, depth int, cands map[string]*archival.Candidate) error {
	match := ftsQuery(q.Text)
	if match == "" {
		return nil
	}
	rows, err := s.db.QueryContext(ctx, `SELECT rowid, bm25(passages_fts) FROM passages_fts
		WHERE passages_fts MATCH ? ORDER BY bm25(passages_fts), rowid`, match)
	if err != nil {
		return dbErr(ctx, err)
	}
	defer rows.Close()
	for n := 0; n < depth && rows.Next(); {
		var (
			rowid int64
			bm25  float64
		)
		if err := rows.Scan(&rowid, &bm25); err != nil {
			return dbErr(ctx, err)
		}
		s.mu.RLock()
		e := s.byRow[rowid]
		ok := e != nil && e.agentID == q.AgentID && f.keep(e)
		var id string
		var createdAt int64
		if ok {
			id, createdAt = e.id, e.createdAt
		}
		s.mu.RUnlock()
		if !ok {
			continue
		}
		n++
		c := cands[id]
		if c == nil {
			c = &archival.Candidate{ID: id, CreatedAt: createdAt}
			cands[id] = c
		}
		c.Lexical, c.LexicalRank = -bm25, n
	}
	return dbErr(ctx, rows.Err())
}

// hits reads the passages of the best k ranked candidates (see archival.Hits).
func (s *Store) hits(ctx context.Context, agentID string, ranked []*archival.Candidate, k int) ([]archival.Hit, error) {
	return archival.Hits(ctx, ranked, k, func(ctx context.Context, ids []string) (map[string]archival.Passage, error) {
		return s.getMany(ctx, agentID, ids)
	})
}
