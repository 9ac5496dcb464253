package memarchival

import (
	"context"
	"fmt"

	"github.com/memsvc/memsvc/archival"
	"github.com/memsvc/memsvc/lexindex"
	"github.com/memsvc/memsvc/rank"
	"github.com/memsvc/memsvc/vecindex"
)

// Search returns up to q.K hits of q.AgentID, best first. It fuses two candidate lists with
// rank.Default: dense (cosine over the vector index; only when q.Vector is set and not zero) and
// lexical (BM25 over the terms of q.Text, lexindex), both filtered alike (see filter). Ties in
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
	s.lexical(q, f, depth, cands)
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
	keep, shown := f.indexKeep(ents)
	var res []vecindex.Result
	if shown {
		res = s.idx.SearchShown(q.AgentID, q.Vector, depth, keep)
	} else {
		res = s.idx.Search(q.AgentID, q.Vector, depth, keep)
	}
	scores := make([]float64, len(res))
	for i, r := range res {
		scores[i] = r.Score
	}
	ranks := rank.Ranks(scores)
	for i, r := range res {
		if e := ents[r.ID]; e != nil { // always: the index and meta change together under mu
			cands[r.ID] = &archival.Candidate{ID: r.ID, Dense: r.Score, DenseRank: ranks[i], CreatedAt: e.createdAt}
		}
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

// lexical adds the BM25 candidates of q to cands: the agent's own lexical index, filtered by the
// same keep as the dense list (lexindex: the agent's statistics, the agent's postings).
func (s *Store) lexical(q archival.Query, f filter, depth int, cands map[string]*archival.Candidate) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	ents := s.meta[q.AgentID]
	keep, shown := f.indexKeep(ents)
	var res []lexindex.Result
	if shown {
		res = s.lex.SearchShown(q.AgentID, q.Text, depth, keep)
	} else {
		res = s.lex.Search(q.AgentID, q.Text, depth, keep)
	}
	for i, r := range res {
		e := ents[r.ID]
		if e == nil { // never: the index and meta change together under mu
			continue
		}
		c := cands[r.ID]
		if c == nil {
			c = &archival.Candidate{ID: r.ID, CreatedAt: e.createdAt}
			cands[r.ID] = c
		}
		c.Lexical, c.LexicalRank = r.Score, i+1
	}
}

// hits reads the passages of the best k ranked candidates (see archival.Hits).
func (s *Store) hits(ctx context.Context, agentID string, ranked []*archival.Candidate, k int) ([]archival.Hit, error) {
	return archival.Hits(ctx, ranked, k, func(ctx context.Context, ids []string) (map[string]archival.Passage, error) {
		return s.getMany(ctx, agentID, ids)
	})
}
