package vecindex

import "math"

// QueriesPerPass is how many queries of agentID SearchMany answers under one hold of the
// agent's read lock: fewer the more each costs (a scan of the agent, or a graph walk), so
// that a large batch does not keep the agent's writers waiting for long. A caller that holds a
// lock of its own around SearchMany may use it to size its calls alike.
func (h *HNSW) QueriesPerPass(agentID string) int {
	work := 1
	if a := h.agent(agentID, false); a != nil {
		a.mu.RLock()
		work = max(1, a.live()*h.dim)
		if a.graph && a.entry >= 0 {
			work = min(work, h.cfg.EfSearch*scanWorkPerEf+(len(a.ids)-int(a.linked))*h.dim)
		}
		a.mu.RUnlock()
	}
	return min(max(manyPassFloats/work, minPassQueries), maxPassQueries)
}

// manyPassFloats bounds the floats SearchMany scores under one hold of an agent's read lock
// (about 30 ms of scanning).
const manyPassFloats = manyPass * 100

// SearchMany answers many queries of one agent: res[i] is what Search(agentID, queries[i], k,
// keep) returns, restricted to the results whose score is at least minScore (a prefix of it,
// since results come best first). It holds the agent's read lock per QueriesPerPass queries.
// Queries that Search would answer by a scan are scanned together, a block of vectors at a time
// for every query of the group, with the same scores. A query of another length answers nil.
func (h *HNSW) SearchMany(agentID string, queries [][]float32, k int, minScore float64, keep func(id string) bool) [][]Result {
	return h.searchMany(agentID, queries, k, minScore, keep, false)
}

// SearchManyShown is SearchMany among the vectors not hidden (SetHidden): res[i] is what
// SearchShown answers, cut at minScore.
func (h *HNSW) SearchManyShown(agentID string, queries [][]float32, k int, minScore float64, keep func(id string) bool) [][]Result {
	return h.searchMany(agentID, queries, k, minScore, keep, true)
}

// SearchManyFirst is SearchMany with each answer cut to its first n results (1 ≤ n ≤ k): the
// same prefixes, with the scan or walk chosen for k as SearchMany chooses it, but the scans keep
// only n results, so that their floors rise faster and more vectors fall below them (bound.go).
func (h *HNSW) SearchManyFirst(agentID string, queries [][]float32, k, n int, minScore float64, keep func(id string) bool) [][]Result {
	return h.searchManyFirst(agentID, queries, k, n, minScore, keep, false)
}

// SearchManyShownFirst is SearchManyShown with each answer cut to its first n results, as
// SearchManyFirst.
func (h *HNSW) SearchManyShownFirst(agentID string, queries [][]float32, k, n int, minScore float64, keep func(id string) bool) [][]Result {
	return h.searchManyFirst(agentID, queries, k, n, minScore, keep, true)
}

func (h *HNSW) searchMany(agentID string, queries [][]float32, k int, minScore float64, keep func(id string) bool, shownOnly bool) [][]Result {
	return h.searchManyFirst(agentID, queries, k, k, minScore, keep, shownOnly)
}

// searchManyFirst answers the queries as SearchMany(Shown) for k, each answer cut to its first n:
// a scanned query keeps a top of n (the first n of an exact top k, which orders every result
// by score and then id), a walked one is cut after its walk for k.
func (h *HNSW) searchManyFirst(agentID string, queries [][]float32, k, n int, minScore float64, keep func(id string) bool, shownOnly bool) [][]Result {
	out := make([][]Result, len(queries))
	a := h.agent(agentID, false)
	n = min(n, k)
	if n <= 0 || a == nil {
		return out
	}
	ctx := ctxPool.Get().(*searchCtx)
	defer ctxPool.Put(ctx)
	qs := normalizedQueries(queries, h.dim)
	group := h.QueriesPerPass(agentID)
	scan := make([][]float32, group)
	for lo := 0; lo < len(qs); lo += group {
		hi := min(lo+group, len(qs))
		a.mu.RLock()
		if !a.removed && a.live() > 0 {
			var hidden []bool
			if shownOnly {
				hidden = a.hidden
			}
			clear(scan)
			for i := lo; i < hi; i++ {
				switch {
				case qs[i] == nil:
				case h.scans(a, k):
					scan[i-lo] = qs[i]
				default:
					res := atLeast(h.searchAgent(a, qs[i], k, keep, hidden, ctx), minScore)
					out[i] = res[:min(n, len(res))]
				}
			}
			h.scanMany(a, scan[:hi-lo], out[lo:hi], n, minScore, keep, hidden)
		}
		a.mu.RUnlock()
	}
	return out
}

// atLeast returns the prefix of res (best first) scoring at least minScore; nil when none does.
func atLeast(res []Result, minScore float64) []Result {
	n := 0
	for n < len(res) && res[n].Score >= minScore {
		n++
	}
	if n == 0 {
		return nil
	}
	return res[:n]
}

// scanMany sets out[i] to what scanTopK answers for the normalized query qs[i] (nil: leave
// out[i] alone), cut at minScore: every query of qs is scored against a block of manyBlock
// vectors before the next block, so the block stays in cache, and keep is asked at most once
// per vector. A vector hidden[g] (nil: none) is skipped as a dead one is. Call with a
// read-locked.
func (h *HNSW) scanMany(a *hnswAgent, qs [][]float32, out [][]Result, k int, minScore float64, keep func(id string) bool, hidden []bool) {
	tops := make([]*topK, len(qs))
	some := false
	for i, q := range qs {
		if q != nil {
			tops[i], some = newTopK(min(k, len(a.ids))), true
		}
	}
	if !some {
		return
	}
	var kept *keptMemo
	if keep != nil {
		kept = &keptMemo{m: make([]uint8, len(a.ids))}
	}
	// atLeast cuts Search's clamped scores: a score clamps below minScore exactly when it is
	// below lo.
	lo := minScore
	switch {
	case minScore <= -1:
		lo = math.Inf(-1)
	case minScore > 1:
		lo = math.Inf(1)
	}
	cuts := make([]float64, len(qs)) // per query: below this nothing enters its top now
	for i := range cuts {
		cuts[i] = lo
	}
	d := h.dim
	var bqs []*boundQuery
	var sc *boundScratch
	if a.bnd != nil {
		sc = newBoundScratch()
		bqs = make([]*boundQuery, len(qs))
		for i, q := range qs {
			if q != nil {
				bqs[i] = a.bnd.basis.query(q)
			}
		}
	}
	offer := func(top *topK, score float64, g int, cut float64) float64 {
		if (a.dead != nil && a.dead[g]) || (hidden != nil && hidden[g]) {
			return cut
		}
		id := a.ids[g]
		if !top.admits(score, id) || (keep != nil && !kept.keep(g, id, keep)) {
			return cut
		}
		top.push(Result{ID: id, Score: score})
		return max(lo, top.floor())
	}
	scores := make([]float32, manyBlock)
	for b := 0; b < len(a.ids) && lo != math.Inf(1); b += manyBlock {
		e := min(b+manyBlock, len(a.ids))
		for qi, q := range qs {
			if q == nil {
				continue
			}
			top, cut := tops[qi], cuts[qi]
			block := scores[:e-b]
			switch {
			case sc == nil || math.IsInf(cut, -1):
				dotRowsHalf(q, a.vecs[b*d:e*d], block)
			case boundScan(q, bqs[qi], a.bnd, a.vecs, b, e, cut, sc):
				for t, g := range sc.idx {
					if s := float64(sc.out[t]); s >= cut {
						cut = offer(top, s, int(g), cut)
					}
				}
				cuts[qi] = cut
				continue
			default:
				block = sc.scores[:e-b]
			}
			for j, s := range block {
				if s := float64(s); s >= cut {
					cut = offer(top, s, b+j, cut)
				}
			}
			cuts[qi] = cut
		}
	}
	for i, top := range tops {
		if top != nil {
			out[i] = atLeast(clampScores(top.sorted()), minScore)
		}
	}
}
