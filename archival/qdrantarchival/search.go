package qdrantarchival

import (
	"context"
	"fmt"
	"math"
	"sort"
	"time"
	"unicode/utf8"

	"github.com/qdrant/go-client/qdrant"

	"github.com/memsvc/memsvc/archival"
	"github.com/memsvc/memsvc/rank"
)

// candidatePayload is what a candidate list reads of each point: enough to name the passage and
// break ties, not the text or the embedding (only the best k are read whole).
var candidatePayload = qdrant.NewWithPayloadInclude(fieldID, fieldCreatedAt)

// Search returns up to q.K hits of q.AgentID, best first. It fuses two candidate lists with
// rank.Default: dense (cosine over the "dense" vectors; only when q.Vector is set and not zero)
// and lexical (BM25 over the "lexical" sparse vectors, by the terms of q.Text), both filtered alike
// (see searchFilter). Both lists come back from one QueryBatch request; the passages of the best
// k follow in one Get, and one deleted in between is skipped, the next candidate taking its place.
// Ties in relevance go to the higher cosine, then the newer passage, then the smaller id.
//
// ErrInvalid: empty agent, K outside 1..MaxK, a non-finite vector or an AsOf beyond unix
// nanoseconds. ErrDimensionMismatch: a vector that is neither empty nor of length Dim.
func (s *Store) Search(ctx context.Context, q archival.Query) ([]archival.Hit, error) {
	if err := s.validate(q); err != nil {
		return nil, fmt.Errorf("qdrantarchival: search: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("qdrantarchival: search: %w", err)
	}
	f := searchFilter(q)
	if f == nil || !utf8.ValidString(q.AgentID) {
		return []archival.Hit{}, nil // no passage can pass
	}
	depth := uint64(archival.Depth(q.K))
	var reqs []*qdrant.QueryPoints
	var kinds []bool // true: dense
	if nonZero(q.Vector) {
		reqs = append(reqs, &qdrant.QueryPoints{CollectionName: s.cfg.Collection, Query: qdrant.NewQueryDense(q.Vector),
			Using: qdrant.PtrOf(denseVector), Filter: f, Limit: &depth, WithPayload: candidatePayload})
		kinds = append(kinds, true)
	}
	if idx, vals := querySparse(q.Text); len(idx) > 0 {
		reqs = append(reqs, &qdrant.QueryPoints{CollectionName: s.cfg.Collection, Query: qdrant.NewQuerySparse(idx, vals),
			Using: qdrant.PtrOf(lexicalVector), Filter: f, Limit: &depth, WithPayload: candidatePayload})
		kinds = append(kinds, false)
	}
	if len(reqs) == 0 {
		return []archival.Hit{}, nil
	}
	resp, err := s.points.QueryBatch(ctx, &qdrant.QueryBatchPoints{CollectionName: s.cfg.Collection, QueryPoints: reqs})
	if err != nil {
		return nil, fmt.Errorf("qdrantarchival: search: %w", grpcErr(ctx, err))
	}
	results := resp.GetResult()
	if len(results) != len(reqs) {
		return nil, fmt.Errorf("qdrantarchival: search: %d results for %d queries", len(results), len(reqs))
	}
	var dense, lexical []*archival.Candidate
	for i, r := range results {
		cands, err := readCandidates(r.GetResult())
		if err != nil {
			return nil, fmt.Errorf("qdrantarchival: search: %w", err)
		}
		if kinds[i] {
			dense = rankDense(cands)
		} else {
			lexical = rankLexical(cands)
		}
	}
	hits, err := s.hits(ctx, q.AgentID, archival.Fuse(dense, lexical), q.K)
	if err != nil {
		return nil, fmt.Errorf("qdrantarchival: search: %w", err)
	}
	return hits, nil
}

func (s *Store) validate(q archival.Query) error {
	switch {
	case q.AgentID == "":
		return fmt.Errorf("empty agent id: %w", archival.ErrInvalid)
	case q.K < 1 || q.K > MaxK:
		return fmt.Errorf("k = %d, want 1..%d: %w", q.K, MaxK, archival.ErrInvalid)
	case len(q.Vector) != 0 && len(q.Vector) != s.cfg.Dim:
		return fmt.Errorf("query vector length %d, want %d: %w", len(q.Vector), s.cfg.Dim, archival.ErrDimensionMismatch)
	case q.AsOf != nil && !archival.Representable(*q.AsOf):
		return fmt.Errorf("as_of %v out of range: %w", *q.AsOf, archival.ErrInvalid)
	}
	return archival.CheckFinite(q.Vector)
}

// readCandidates reads the scored points of one list; score is the list's raw score.
func readCandidates(points []*qdrant.ScoredPoint) ([]*archival.Candidate, error) {
	out := make([]*archival.Candidate, 0, len(points))
	for _, sp := range points {
		pl := sp.GetPayload()
		c := &archival.Candidate{ID: pl[fieldID].GetStringValue(), Dense: float64(sp.GetScore())}
		created, err := time.Parse(time.RFC3339Nano, pl[fieldCreatedAt].GetStringValue())
		if err != nil || c.ID == "" {
			return nil, fmt.Errorf("point %s: unreadable payload (%v)", sp.GetId().GetUuid(), err)
		}
		c.CreatedAt = created.UnixMicro()
		out = append(out, c)
	}
	return out, nil
}

// rankDense sorts the dense list best first by cosine (clamped to [-1, 1]), ties by id, and gives
// it competition ranks that let near-equal similarities share one (rank.Ranks).
func rankDense(cands []*archival.Candidate) []*archival.Candidate {
	for _, c := range cands {
		if math.IsNaN(c.Dense) {
			c.Dense = 0
		}
		c.Dense = max(-1, min(1, c.Dense))
	}
	sort.Slice(cands, func(i, j int) bool {
		if cands[i].Dense != cands[j].Dense {
			return cands[i].Dense > cands[j].Dense
		}
		return cands[i].ID < cands[j].ID
	})
	scores := make([]float64, len(cands))
	for i, c := range cands {
		scores[i] = c.Dense
	}
	for i, r := range rank.Ranks(scores) {
		cands[i].DenseRank = r
	}
	return cands
}

// rankLexical sorts the lexical list best first by BM25, ties by id, ranked 1, 2, 3... (as memarchival's
// and pgarchival's are).
func rankLexical(cands []*archival.Candidate) []*archival.Candidate {
	for _, c := range cands {
		c.Lexical, c.Dense = c.Dense, 0
	}
	sort.Slice(cands, func(i, j int) bool {
		if cands[i].Lexical != cands[j].Lexical {
			return cands[i].Lexical > cands[j].Lexical
		}
		return cands[i].ID < cands[j].ID
	})
	for i, c := range cands {
		c.LexicalRank = i + 1
	}
	return cands
}

// hits reads the passages of the best k ranked candidates (see archival.Hits).
func (s *Store) hits(ctx context.Context, agentID string, ranked []*archival.Candidate, k int) ([]archival.Hit, error) {
	return archival.Hits(ctx, ranked, k, func(ctx context.Context, ids []string) (map[string]archival.Passage, error) {
		return s.getMany(ctx, agentID, ids)
	})
}

func nonZero(v []float32) bool {
	for _, x := range v {
		if x != 0 {
			return true
		}
	}
	return false
}
