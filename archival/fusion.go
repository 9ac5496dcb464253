package archival

import (
	"context"
	"sort"

	"github.com/memsvc/memsvc/rank"
)

// minDepth is the least depth of each candidate list.
const minDepth = 50

// Depth is how deep each candidate list of a search for k hits reads: max(50, 5k), so that
// fusion and filtering have room to reorder.
func Depth(k int) int { return max(minDepth, 5*k) }

// Candidate is one passage found by the dense list, the lexical list, or both, before fusion.
type Candidate struct {
	ID                     string
	Dense, Lexical         float64
	DenseRank, LexicalRank int   // 1-based, 0 when absent from that list
	CreatedAt              int64 // in the backend's own unit; only breaks ties
	Relevance              float64
}

// Fuse merges the dense and lexical lists by ID and orders the candidates as Order does. Every
// backend fuses through it, so the same candidates rank the same on every store.
func Fuse(dense, lexical []*Candidate) []*Candidate {
	byID := make(map[string]*Candidate, len(dense)+len(lexical))
	out := make([]*Candidate, 0, len(dense)+len(lexical))
	for _, c := range dense {
		byID[c.ID] = c
		out = append(out, c)
	}
	for _, l := range lexical {
		if c := byID[l.ID]; c != nil {
			c.Lexical, c.LexicalRank = l.Lexical, l.LexicalRank
			continue
		}
		byID[l.ID] = l
		out = append(out, l)
	}
	Order(out)
	return out
}

// Order scores candidates with rank.Default and sorts them best first: by relevance, then the
// higher cosine, then the newer passage, then the smaller ID.
func Order(cands []*Candidate) {
	for _, c := range cands {
		c.Relevance = rank.Default.Score(c.DenseRank, c.LexicalRank)
	}
	sort.Slice(cands, func(i, j int) bool {
		a, b := cands[i], cands[j]
		switch {
		case a.Relevance != b.Relevance:
			return a.Relevance > b.Relevance
		case a.Dense != b.Dense:
			return a.Dense > b.Dense
		case a.CreatedAt != b.CreatedAt:
			return a.CreatedAt > b.CreatedAt
		}
		return a.ID < b.ID
	})
}

// Hit returns the hit of a fused candidate and its passage.
func (c *Candidate) Hit(p Passage) Hit {
	return Hit{Passage: p, Dense: c.Dense, Lexical: c.Lexical, DenseRank: c.DenseRank,
		LexicalRank: c.LexicalRank, Relevance: c.Relevance}
}

// Hits reads the passages of the best k ranked candidates through getMany (the passages of the
// agent among ids, by id). A candidate deleted since it was ranked is skipped and the next one
// takes its place.
func Hits(ctx context.Context, ranked []*Candidate, k int,
	getMany func(ctx context.Context, ids []string) (map[string]Passage, error)) ([]Hit, error) {
	hits := make([]Hit, 0, min(k, len(ranked)))
	for len(hits) < k && len(ranked) > 0 {
		batch := ranked[:min(k-len(hits), len(ranked))]
		ranked = ranked[len(batch):]
		ids := make([]string, len(batch))
		for i, c := range batch {
			ids[i] = c.ID
		}
		ps, err := getMany(ctx, ids)
		if err != nil {
			return nil, err
		}
		for _, c := range batch {
			if p, ok := ps[c.ID]; ok {
				hits = append(hits, c.Hit(p))
			}
		}
	}
	return hits, nil
}
