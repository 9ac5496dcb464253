package vecindex

// manyBlock is how many stored vectors SearchMany scores against every query of a group before
// it moves on: 256 vectors of dimension 100 are 100 KiB, which stay in cache while each query of
// the group passes over them.
const manyBlock = 256

// manyGroup is how many queries SearchMany answers under one hold of the read lock, so that a
// large batch does not keep writers (and, behind them, other searches) waiting for long.
const manyGroup = 32

// SearchMany answers many queries of one agent in one pass over its vectors per group of
// queries: res[i] is what Search(agentID, queries[i], k, keep) returns, restricted to the results
// whose score is at least minScore (a prefix of it, since results come best first). keep is only
// asked about ids that score at least minScore and would enter a query's current top k. A query
// of another length answers nil. Scores are computed exactly as Search computes them, so the
// results are the same, ties included.
func (x *Exact) SearchMany(agentID string, queries [][]float32, k int, minScore float64, keep func(id string) bool) [][]Result {
	out := make([][]Result, len(queries))
	if k <= 0 {
		return out
	}
	qs := make([][]float32, len(queries))
	for i, q := range queries {
		if len(q) == x.dim {
			qs[i] = make([]float32, x.dim)
			normalizeInto(qs[i], q)
		}
	}
	for lo := 0; lo < len(qs); lo += manyGroup {
		hi := min(lo+manyGroup, len(qs))
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
	for b := 0; b < len(s.ids); b += manyBlock {
		e := min(b+manyBlock, len(s.ids))
		for qi, q := range qs {
			if q == nil {
				continue
			}
			top := tops[qi]
			dotRows(q, s.vecs[b*dim:e*dim], scores[:e-b])
			for i := b; i < e; i++ {
				score := float64(scores[i-b])
				if score < minScore {
					continue
				}
				id := s.ids[i]
				if !top.admits(score, id) || (keep != nil && !keep(id)) {
					continue
				}
				top.push(Result{ID: id, Score: score})
			}
		}
	}
	for i, top := range tops {
		if top != nil {
			out[i] = clampScores(top.sorted())
		}
	}
}
