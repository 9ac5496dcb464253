package memarchival

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/memsvc/memsvc/archival"
	"github.com/memsvc/memsvc/rank"
	"github.com/memsvc/memsvc/vecindex"
)

var _ archival.NeighborSearcher = (*Store)(nil)

// Neighbors answers q as archival.SearchNeighbors does by Search, with the query vectors searched
// in groups (vecindex.HNSW.SearchManyFirst, QueriesPerPass vectors under one hold of the read
// lock, the first 2k candidates of each; see denseMany) and, for the rows, one read of
// the id, key and text of every neighbour of all the vectors. The candidates below q.MinDense
// are never looked up: in Search's order (archival.Order of the dense list) those at or above it
// come first, so the answer is the same.
func (s *Store) Neighbors(ctx context.Context, q archival.NeighborQuery) ([][]archival.Neighbor, error) {
	switch {
	case q.AgentID == "":
		return nil, fmt.Errorf("memarchival: neighbors: empty agent id: %w", archival.ErrInvalid)
	case q.K < 1 || q.K > MaxK:
		return nil, fmt.Errorf("memarchival: neighbors: k = %d, want 1..%d: %w", q.K, MaxK, archival.ErrInvalid)
	}
	vecs := make([][]float32, len(q.Vectors))
	for i, v := range q.Vectors {
		if len(v) != 0 && len(v) != s.dim {
			return nil, fmt.Errorf("memarchival: neighbors: vector %d length %d, want %d: %w", i, len(v), s.dim, archival.ErrDimensionMismatch)
		}
		if err := archival.CheckFinite(v); err != nil {
			return nil, fmt.Errorf("memarchival: neighbors: vector %d: %w", i, err)
		}
		if nonZero(v) {
			vecs[i] = v
		}
	}
	f := newFilter(archival.Query{})
	depth := archival.Depth(q.K)
	ranked := make([]rankedList, len(vecs))
	group := s.idx.QueriesPerPass(q.AgentID)
	for lo := 0; lo < len(vecs); lo += group {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("memarchival: neighbors: %w", err)
		}
		hi := min(lo+group, len(vecs))
		s.denseMany(q.AgentID, vecs[lo:hi], depth, q.K, q.MinDense, f, ranked[lo:hi])
	}
	out, err := s.neighborRows(ctx, q.AgentID, ranked, q.K, depth, q.MinDense)
	if err != nil {
		return nil, fmt.Errorf("memarchival: neighbors: %w", err)
	}
	return out, nil
}

// rankedList is one vector's dense candidates scoring at least MinDense, in Search's order
// (archival.Order of the list dense builds, cut at MinDense). cands is its head, enough for k
// hits while none of them was deleted; all, when not nil, is the whole list (res, ranked),
// worked out only when a deleted candidate leaves the head short. res may be only the first
// results of the list the index answers for depth (cut): whole then asks the index again.
type rankedList struct {
	cands []*archival.Candidate
	res   []vecindex.Result
	all   bool
	cut   bool
	vec   []float32
}

// firstOf is how many of a vector's dense candidates denseMany asks the index for at first, for
// k neighbours: its scans then keep a top of 2k rather than of the list's depth (5k, at least
// 50), which is what most of a bulk insert's CPU went to in a large agent. The head needs
// k and the candidates tied with the k-th; the rest is asked for only when a deleted
// candidate leaves the head short.
func firstOf(k, depth int) int { return min(depth, 2*k) }

// denseMany fills ranked[i] with the dense candidates of vecs[i] (nil: none) scoring at least
// minDense. Only the head that can hold Search's first k is ordered: the candidates scoring
// within 2e-6 of the k-th best or better. A candidate below that cannot share a rank (rank.Ranks
// ties scores within 1e-6 of a tie's best) with one of the first k, so Order puts it after
// them, and the ranks of the head do not depend on what follows it. The index answers the
// first firstOf(k, depth) candidates of each list; a list whose head may go on past them is
// asked again whole, under the same hold of the read lock.
func (s *Store) denseMany(agentID string, vecs [][]float32, depth, k int, minDense float64, f filter, ranked []rankedList) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	ents := s.meta[agentID]
	keep, shown := f.indexKeep(ents)
	search := s.idx.SearchManyFirst
	if shown {
		search = s.idx.SearchManyShownFirst
	}
	first := firstOf(k, depth)
	lists := search(agentID, vecs, depth, first, minDense, keep)
	cut := func(res []vecindex.Result) bool { return first < depth && len(res) == first }
	var again []int
	for i, res := range lists {
		if vecs[i] != nil && cut(res) && headOf(res, k) == len(res) {
			again = append(again, i)
		}
	}
	if len(again) > 0 {
		qs := make([][]float32, len(again))
		for j, i := range again {
			qs[j] = vecs[i]
		}
		for j, res := range search(agentID, qs, depth, depth, minDense, keep) {
			lists[again[j]] = res
		}
	}
	for i, res := range lists {
		if vecs[i] == nil || len(res) == 0 {
			continue
		}
		head := headOf(res, k)
		isCut := cut(res) && !slices.Contains(again, i)
		ranked[i] = rankedList{cands: orderDense(res[:head], ents), res: res, all: head == len(res) && !isCut, cut: isCut, vec: vecs[i]}
	}
}

// headOf is how many of res (best first) can hold Search's first k: the first k and those
// scoring within 2e-6 of the k-th.
func headOf(res []vecindex.Result, k int) int {
	if len(res) <= k {
		return len(res)
	}
	floor := res[k-1].Score - 2e-6
	head := k
	for head < len(res) && res[head].Score >= floor {
		head++
	}
	return head
}

// orderDense returns the dense candidates of res (best first, as the index returns them) in
// Search's order: ranks by rank.Ranks, then archival.Order. ents gives their creation times (an
// entry gone meanwhile counts as created at 0).
func orderDense(res []vecindex.Result, ents map[string]*entry) []*archival.Candidate {
	scores := make([]float64, len(res))
	for j, r := range res {
		scores[j] = r.Score
	}
	ranks := rank.Ranks(scores)
	vals := make([]archival.Candidate, len(res)) // one allocation for the list
	cands := make([]*archival.Candidate, len(res))
	for j, r := range res {
		var created int64
		if e := ents[r.ID]; e != nil {
			created = e.createdAt
		}
		vals[j] = archival.Candidate{ID: r.ID, Dense: r.Score, DenseRank: ranks[j], CreatedAt: created}
		cands[j] = &vals[j]
	}
	archival.Order(cands)
	return cands
}

// whole makes l's cands the whole list, when it is only the head: its order begins with the
// head's. When l holds only the first results of the list (cut), the index is asked again for
// the whole list, now, and whole reports that l starts again: the caller takes its candidates
// from the first, as a Search now would.
func (s *Store) whole(agentID string, l *rankedList, depth int, minDense float64) (again bool) {
	if l.all {
		return false
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	ents := s.meta[agentID]
	if l.cut {
		keep, shown := newFilter(archival.Query{}).indexKeep(ents)
		search := s.idx.SearchMany
		if shown {
			search = s.idx.SearchManyShown
		}
		l.res, l.cut, again = search(agentID, [][]float32{l.vec}, depth, minDense, keep)[0], false, true
	}
	l.cands, l.all = orderDense(l.res, ents), true
	return again
}

// neighborRows reads the rows of the best k candidates of each list that still exist (a
// candidate deleted since it was ranked is skipped and the next takes its place, as in
// archival.Hits), all lists at once.
func (s *Store) neighborRows(ctx context.Context, agentID string, ranked []rankedList, k, depth int, minDense float64) ([][]archival.Neighbor, error) {
	out := make([][]archival.Neighbor, len(ranked))
	next := make([]int, len(ranked)) // the first candidate of each list not yet read
	rows := map[string]archival.Neighbor{}
	for {
		var ids []string
		asked := map[string]bool{}
		for i := range ranked {
			if len(out[i]) < k && next[i] == len(ranked[i].cands) {
				// The head ran out: a candidate was deleted.
				if s.whole(agentID, &ranked[i], depth, minDense) {
					out[i], next[i] = out[i][:0], 0
				}
			}
			cands := ranked[i].cands
			need := min(k-len(out[i]), len(cands)-next[i])
			for _, c := range cands[next[i] : next[i]+max(need, 0)] {
				if _, ok := rows[c.ID]; !ok && !asked[c.ID] {
					asked[c.ID] = true
					ids = append(ids, c.ID)
				}
			}
		}
		if len(ids) == 0 && !pending(ranked, next, out, k) {
			return out, nil
		}
		if err := s.readNeighbors(ctx, agentID, ids, rows); err != nil {
			return nil, err
		}
		for i := range ranked {
			cands := ranked[i].cands
			need := min(k-len(out[i]), len(cands)-next[i])
			for _, c := range cands[next[i] : next[i]+max(need, 0)] {
				if n, ok := rows[c.ID]; ok && n.ID != "" {
					n.Dense = c.Dense
					out[i] = append(out[i], n)
				}
			}
			next[i] += max(need, 0)
		}
	}
}

// pending reports whether a list still wants candidates it has not read.
func pending(ranked []rankedList, next []int, out [][]archival.Neighbor, k int) bool {
	for i := range ranked {
		if len(out[i]) < k && next[i] < len(ranked[i].cands) {
			return true
		}
	}
	return false
}

// neighborChunk is how many ids one read of readNeighbors names.
const neighborChunk = 500

// readNeighbors reads the id, key and text of the passages ids of agentID into rows, from the
// near cache or else from the table (then caching them); an id with no row gets a zero Neighbor,
// so that it is not read again.
//
// Each read of the table runs under the read lock of the memory copy, and so does the caching
// of what it read: a write that commits meanwhile brings the cache in step (remember) only once
// the read is cached, so the cache never keeps what a committed write replaced.
func (s *Store) readNeighbors(ctx context.Context, agentID string, ids []string, rows map[string]archival.Neighbor) error {
	ids = s.near.lookup(agentID, ids, rows)
	for len(ids) > 0 {
		chunk := ids[:min(neighborChunk, len(ids))]
		ids = ids[len(chunk):]
		if err := s.readNeighborChunk(ctx, agentID, chunk, rows); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) readNeighborChunk(ctx context.Context, agentID string, ids []string, rows map[string]archival.Neighbor) error {
	args := make([]any, 0, len(ids)+1)
	args = append(args, agentID)
	for _, id := range ids {
		args = append(args, id)
		rows[id] = archival.Neighbor{}
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	rs, err := s.db.QueryContext(ctx, `SELECT id, key, text FROM passages
		WHERE agent_id = ? AND id IN (?`+strings.Repeat(", ?", len(ids)-1)+`)`, args...)
	if err != nil {
		return dbErr(ctx, err)
	}
	defer rs.Close()
	var read []archival.Neighbor
	for rs.Next() {
		var n archival.Neighbor
		if err := rs.Scan(&n.ID, &n.Key, &n.Text); err != nil {
			return dbErr(ctx, err)
		}
		rows[n.ID] = n
		read = append(read, n)
	}
	if err := rs.Err(); err != nil {
		return dbErr(ctx, err)
	}
	s.near.add(agentID, read)
	return nil
}

// maxNearBytes bounds the text a nearCache holds; a cache that would hold more starts again
// empty.
const maxNearBytes = 32 << 20

// nearCache holds the key and text of passages, by agent and id, as Neighbors read them: an
// insert batch's possible supersessions read the nearest passages of each new one, and they
// recur from batch to batch. Writes keep it in step under the store's write lock of mu
// (remember, Delete, DeleteAgent); it is bounded by maxNearBytes of text.
type nearCache struct {
	mu    sync.Mutex
	m     map[string]map[string]archival.Neighbor
	bytes int
}

// lookup fills rows with the cached passages of agentID among ids and returns the others.
func (c *nearCache) lookup(agentID string, ids []string, rows map[string]archival.Neighbor) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	m := c.m[agentID]
	var miss []string
	for _, id := range ids {
		if n, ok := m[id]; ok {
			rows[id] = n
		} else {
			miss = append(miss, id)
		}
	}
	return miss
}

// add caches ns, read from the table, for agentID.
func (c *nearCache) add(agentID string, ns []archival.Neighbor) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, n := range ns {
		if c.bytes+len(n.Text) > maxNearBytes {
			c.m, c.bytes = nil, 0
		}
		if c.m == nil {
			c.m = make(map[string]map[string]archival.Neighbor)
		}
		m := c.m[agentID]
		if m == nil {
			m = make(map[string]archival.Neighbor)
			c.m[agentID] = m
		}
		if old, ok := m[n.ID]; ok {
			c.bytes -= len(old.Text)
		}
		n.Dense = 0
		m[n.ID] = n
		c.bytes += len(n.Text)
	}
}

// update brings a cached passage in step with a write (it stays uncached if it was not).
func (c *nearCache) update(agentID, id, key, text string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.m[agentID][id]; ok {
		c.bytes += len(text) - len(old.Text)
		c.m[agentID][id] = archival.Neighbor{ID: id, Key: key, Text: text}
	}
}

// remove forgets one passage.
func (c *nearCache) remove(agentID, id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.m[agentID][id]; ok {
		c.bytes -= len(old.Text)
		delete(c.m[agentID], id)
	}
}

// removeAgent forgets every passage of agentID.
func (c *nearCache) removeAgent(agentID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, n := range c.m[agentID] {
		c.bytes -= len(n.Text)
	}
	delete(c.m, agentID)
}
