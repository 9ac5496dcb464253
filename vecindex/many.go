package vecindex

import (
	"cmp"
	"slices"
	"strings"
)

// manyBlock is how many distinct stored vectors SearchMany scores against every query of a
// group before it moves on: 256 vectors of dimension 100 are 100 KiB, which stay in cache while each query of
// the group passes over them.
const manyBlock = 256

// manyPass bounds the dot products SearchMany computes under one hold of the read lock (about
// 30 ms of scoring), so that a large batch does not keep writers (and, behind them, other
// searches) waiting for long; a pass answers minPassQueries to maxPassQueries queries.
const (
	manyPass       = 1 << 22
	minPassQueries = 8
	maxPassQueries = 512
)

// QueriesPerPass is how many queries of agentID SearchMany answers under one hold of the read
// lock: fewer the more distinct vectors the agent has. A caller that holds a lock of its own
// around SearchMany may use it to size its calls alike.
func (x *Exact) QueriesPerPass(agentID string) int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	n := 1
	if s := x.agents[agentID]; s != nil {
		n = max(1, len(s.members)-len(s.free))
	}
	return min(max(manyPass/n, minPassQueries), maxPassQueries)
}

// SearchMany answers many queries of one agent in one pass over its distinct vectors per group
// of queries (QueriesPerPass): res[i] is what Search(agentID, queries[i], k, keep) returns,
// restricted to the results whose score is at least minScore (a prefix of it, since results come
// best first). keep is only asked about ids that score at least minScore and would enter a
// query's current top k, and at most once per id and group of queries. A query of another
// length answers nil. Scores are computed exactly as Search computes them, so the results are
// the same, ties included.
func (x *Exact) SearchMany(agentID string, queries [][]float32, k int, minScore float64, keep func(id string) bool) [][]Result {
	out := make([][]Result, len(queries))
	if k <= 0 {
		return out
	}
	qs := normalizedQueries(queries, x.dim)
	group := x.QueriesPerPass(agentID)
	for lo := 0; lo < len(qs); lo += group {
		hi := min(lo+group, len(qs))
		x.searchGroup(agentID, qs[lo:hi], out[lo:hi], k, minScore, keep)
	}
	return out
}

// searchGroup fills out[i] for the normalized queries qs[i] (nil: no answer) under one read lock.
func (x *Exact) searchGroup(agentID string, qs [][]float32, out [][]Result, k int, minScore float64, keep func(id string) bool) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	s := x.agents[agentID]
	if s == nil || len(s.ids) == 0 {
		return
	}
	dim := x.dim
	tops := make([]*topK, len(qs))
	for i, q := range qs {
		if q != nil {
			tops[i] = newTopK(min(k, len(s.ids)))
		}
	}
	scores := make([]float32, manyBlock)
	var kept *keptMemo
	if keep != nil {
		kept = &keptMemo{m: make([]uint8, len(s.ids))}
	}
	// The distinct vectors scoring at least minScore are collected per query, up to maxPending,
	// and offered best first once the pass is done, so that the top k fills with its final
	// members and the offers stop at the first vector that cannot enter; a query with more is
	// offered them as they come.
	pending := make([][]scoredVec, len(qs))
	n := len(s.members)
	for b := 0; b < n; b += manyBlock {
		e := min(b+manyBlock, n)
		for qi, q := range qs {
			if q == nil {
				continue
			}
			top := tops[qi]
			dotRows(q, s.vecs[b*dim:e*dim], scores[:e-b])
			for g := b; g < e; g++ {
				score := float64(scores[g-b])
				if score < minScore || len(s.members[g]) == 0 {
					continue
				}
				switch p := pending[qi]; {
				case p == nil || len(p) < maxPending:
					pending[qi] = append(p, scoredVec{score, int32(g)})
				case len(p) == maxPending:
					for _, c := range p {
						s.offer(top, c.score, s.members[c.g], keep, kept)
					}
					pending[qi] = append(p, scoredVec{}) // marks the query as offered as it comes
					fallthrough
				default:
					s.offer(top, score, s.members[g], keep, kept)
				}
			}
		}
	}
	for i, top := range tops {
		if top == nil {
			continue
		}
		if p := pending[i]; len(p) <= maxPending {
			out[i] = clampScores(s.bestOf(p, min(k, len(s.ids)), keep, kept))
			continue
		}
		out[i] = clampScores(top.sorted())
	}
}

// bestOf returns the k best rows of the distinct vectors p that keep (nil: all) keeps, best
// first, equal scores by id ascending: what a top k fed every row returns. It walks p best
// first and each vector's members in id order (the members of vectors of equal score merged),
// so it stops after the k-th row kept.
func (s *shard) bestOf(p []scoredVec, k int, keep func(id string) bool, kept *keptMemo) []Result {
	slices.SortFunc(p, func(a, b scoredVec) int { return cmp.Compare(b.score, a.score) })
	out := make([]Result, 0, k)
	for j := 0; j < len(p) && len(out) < k; {
		e := j + 1
		for e < len(p) && p[e].score == p[j].score {
			e++
		}
		rows := s.members[p[j].g]
		if e > j+1 {
			rows = nil
			for _, c := range p[j:e] {
				rows = append(rows, s.members[c.g]...)
			}
			slices.SortFunc(rows, func(a, b int32) int { return strings.Compare(s.ids[a], s.ids[b]) })
		}
		for _, r := range rows {
			if len(out) == k {
				break
			}
			id := s.ids[r]
			if keep != nil && !kept.keep(int(r), id, keep) {
				continue
			}
			out = append(out, Result{ID: id, Score: p[j].score})
		}
		j = e
	}
	return out
}

// maxPending is how many distinct vectors searchGroup collects for a query before it offers
// them to its top k as they come (a variable for the tests).
var maxPending = 2048

// scoredVec is a distinct vector g of a shard and its score against a query.
type scoredVec struct {
	score float64
	g     int32
}

// keptMemo holds keep's answers by row, so that the queries of a group ask it at most once per
// row (the index is read-locked meanwhile, so the answers stand): 0 not asked yet, 1 kept, 2 not.
type keptMemo struct{ m []uint8 }

func (k *keptMemo) keep(row int, id string, keep func(id string) bool) bool {
	if k.m[row] == 0 {
		k.m[row] = 2
		if keep(id) {
			k.m[row] = 1
		}
	}
	return k.m[row] == 1
}

// normalizedQueries returns unit-length copies of the queries of length dim, nil for the others.
func normalizedQueries(queries [][]float32, dim int) [][]float32 {
	qs := make([][]float32, len(queries))
	for i, q := range queries {
		if len(q) == dim {
			qs[i] = make([]float32, dim)
			normalizeInto(qs[i], q)
		}
	}
	return qs
}
