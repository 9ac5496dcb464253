package vecindex

import (
	"math"
	"slices"
	"strings"
	"sync"
)

// Exact is an Index that scores every vector of the agent: exact results, O(n·dim) per search.
// Each agent's vectors are kept L2-normalized in one contiguous slice, so a search is a linear
// scan of dot products. Rows whose normalized vectors are equal bit for bit (texts that embed
// alike, such as two that differ only in words the embedder does not know) share one stored
// vector, scored once per search: the scores, and so the results, are those of scoring every row.
//
// Exact has a fixed dimension. Callers check lengths: Add ignores a vector of another length
// (leaving any stored vector in place) and Search answers nil for a query of another length.
type Exact struct {
	dim    int
	mu     sync.RWMutex
	agents map[string]*shard
}

var _ Index = (*Exact)(nil)

// shard is one agent's vectors. Row i is ids[i]; its normalized vector is the distinct vector
// gid[i], vecs[g*dim:(g+1)*dim] for g = gid[i], held by the rows members[g] (row i at
// members[g][mpos[i]]). A distinct vector no row holds is a free slot, listed in free and
// skipped by searches. byHash finds a distinct vector by the hash of its bits.
type shard struct {
	ids  []string
	pos  map[string]int
	gid  []int32
	mpos []int32

	vecs    []float32
	members [][]int32
	free    []int32
	byHash  map[uint64][]int32
}

// NewExact returns an empty exact index of vectors of length dim.
func NewExact(dim int) *Exact {
	return &Exact{dim: dim, agents: make(map[string]*shard)}
}

// Dim returns the vector length the index accepts.
func (x *Exact) Dim() int { return x.dim }

// Add stores a normalized copy of vec under (agentID, id), replacing an existing id.
func (x *Exact) Add(agentID, id string, vec []float32) {
	if len(vec) != x.dim {
		return
	}
	v := make([]float32, x.dim)
	normalizeInto(v, vec)
	x.mu.Lock()
	defer x.mu.Unlock()
	s := x.agents[agentID]
	if s == nil {
		s = &shard{pos: make(map[string]int), byHash: make(map[uint64][]int32)}
		x.agents[agentID] = s
	}
	i, ok := s.pos[id]
	if ok {
		if sameBits(s.vec(s.gid[i], x.dim), v) {
			return
		}
		s.leave(i, x.dim)
	} else {
		i = len(s.ids)
		s.pos[id] = i
		s.ids = append(s.ids, id)
		s.gid = append(s.gid, 0)
		s.mpos = append(s.mpos, 0)
	}
	s.join(i, v, x.dim)
}

// vec is distinct vector g.
func (s *shard) vec(g int32, dim int) []float32 {
	return s.vecs[int(g)*dim : (int(g)+1)*dim]
}

// join makes row i hold the normalized vector v: the distinct vector equal to it, or a new one.
func (s *shard) join(i int, v []float32, dim int) {
	h := hashBits(v)
	g := int32(-1)
	for _, c := range s.byHash[h] {
		if sameBits(s.vec(c, dim), v) {
			g = c
			break
		}
	}
	if g < 0 {
		if n := len(s.free); n > 0 {
			g, s.free = s.free[n-1], s.free[:n-1]
		} else {
			g = int32(len(s.members))
			s.members = append(s.members, nil)
			s.vecs = append(s.vecs, make([]float32, dim)...)
		}
		copy(s.vec(g, dim), v)
		s.byHash[h] = append(s.byHash[h], g)
	}
	// Members stay in ascending order of id (usually an append: ids grow), so that a search
	// can stop at the first member that does not enter its top k (see offer).
	m := s.members[g]
	at, _ := slices.BinarySearchFunc(m, s.ids[i], func(r int32, id string) int { return strings.Compare(s.ids[r], id) })
	m = slices.Insert(m, at, int32(i))
	for j := at; j < len(m); j++ {
		s.mpos[m[j]] = int32(j)
	}
	s.gid[i], s.members[g] = g, m
}

// leave takes row i off its distinct vector, freeing the vector when no row holds it any more.
func (s *shard) leave(i int, dim int) {
	g, p := s.gid[i], s.mpos[i]
	m := slices.Delete(s.members[g], int(p), int(p)+1)
	for j := int(p); j < len(m); j++ {
		s.mpos[m[j]] = int32(j)
	}
	s.members[g] = m
	if len(m) > 0 {
		return
	}
	s.members[g] = nil
	h := hashBits(s.vec(g, dim))
	cs := s.byHash[h]
	for j, c := range cs {
		if c == g {
			cs[j] = cs[len(cs)-1]
			cs = cs[:len(cs)-1]
			break
		}
	}
	if len(cs) == 0 {
		delete(s.byHash, h)
	} else {
		s.byHash[h] = cs
	}
	s.free = append(s.free, g)
}

// sameBits reports whether a and b hold the same float32 bits.
func sameBits(a, b []float32) bool {
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return true
}

// hashBits is FNV-1a over the bits of v.
func hashBits(v []float32) uint64 {
	h := uint64(14695981039346656037)
	for _, f := range v {
		h ^= uint64(math.Float32bits(f))
		h *= 1099511628211
	}
	return h
}

// Remove deletes one id of agentID.
func (x *Exact) Remove(agentID, id string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	s := x.agents[agentID]
	if s == nil {
		return
	}
	i, ok := s.pos[id]
	if !ok {
		return
	}
	s.leave(i, x.dim)
	last := len(s.ids) - 1
	if i != last {
		moved := s.ids[last]
		s.ids[i] = moved
		s.pos[moved] = i
		g, p := s.gid[last], s.mpos[last]
		s.members[g][p] = int32(i)
		s.gid[i], s.mpos[i] = g, p
	}
	s.ids[last] = ""
	s.ids = s.ids[:last]
	s.gid = s.gid[:last]
	s.mpos = s.mpos[:last]
	delete(s.pos, id)
	if last == 0 {
		delete(x.agents, agentID)
	}
}

// RemoveAgent deletes every vector of agentID.
func (x *Exact) RemoveAgent(agentID string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	delete(x.agents, agentID)
}

// Len returns how many vectors agentID has.
func (x *Exact) Len(agentID string) int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	if s := x.agents[agentID]; s != nil {
		return len(s.ids)
	}
	return 0
}

// Search returns up to k ids of agentID by cosine similarity to query, best first, among those
// for which keep(id) is true. keep is only asked about ids that would enter the current top k.
func (x *Exact) Search(agentID string, query []float32, k int, keep func(id string) bool) []Result {
	if k <= 0 || len(query) != x.dim {
		return nil
	}
	q := make([]float32, x.dim)
	normalizeInto(q, query)

	x.mu.RLock()
	defer x.mu.RUnlock()
	s := x.agents[agentID]
	if s == nil || len(s.ids) == 0 {
		return nil
	}
	top := newTopK(min(k, len(s.ids)))
	for g, m := range s.members {
		if len(m) > 0 {
			s.offer(top, float64(dot(q, s.vec(int32(g), x.dim))), m, keep, nil)
		}
	}
	return clampScores(top.sorted())
}

// offer pushes into top the rows m, all of this score and in ascending order of id, that enter
// it and that keep (nil: all) keeps: once one does not enter, no later one can (a larger id at
// the same score, against a top k that only gets better). kept, when not nil, memoizes keep by
// row (see searchGroup).
func (s *shard) offer(top *topK, score float64, m []int32, keep func(id string) bool, kept *keptMemo) {
	if top.full() && score < top.h[0].Score {
		return
	}
	for _, r := range m {
		id := s.ids[r]
		if !top.admits(score, id) {
			return
		}
		if keep != nil {
			if kept != nil {
				if !kept.keep(int(r), id, keep) {
					continue
				}
			} else if !keep(id) {
				continue
			}
		}
		top.push(Result{ID: id, Score: score})
	}
}

// scanTopK scores every float16 row of the slab vecs (row i, of length dim, belongs to ids[i]) against
// the normalized query q and returns the k best rows for which keep (nil: all) is true, best
// first, equal scores by id ascending. dead and hidden (nil: none) mark rows to skip. keep is only asked
// about ids that would enter the current top k.
func scanTopK(q []float32, dim int, ids []string, vecs []uint16, k int, keep func(id string) bool, dead, hidden []bool) []Result {
	top := newTopK(min(k, len(ids)))
	cut := top.floor() // below this nothing enters top now
	var block [manyBlock]float32
	for b := 0; b < len(ids); b += manyBlock {
		e := min(b+manyBlock, len(ids))
		dotRowsHalf(q, vecs[b*dim:e*dim], block[:e-b])
		for j, s := range block[:e-b] {
			score, i := float64(s), b+j
			if score < cut || (dead != nil && dead[i]) || (hidden != nil && hidden[i]) {
				continue
			}
			id := ids[i]
			if !top.admits(score, id) || (keep != nil && !keep(id)) {
				continue
			}
			top.push(Result{ID: id, Score: score})
			cut = top.floor()
		}
	}
	return top.sorted()
}

// clampScores pulls scores back into [-1, 1]: rounding can step just past ±1.
func clampScores(res []Result) []Result {
	for i := range res {
		res[i].Score = max(-1, min(1, res[i].Score))
	}
	return res
}

// normalizeInto writes src scaled to unit length into dst; a zero vector stays zero.
func normalizeInto(dst, src []float32) {
	var sum float64
	for _, v := range src {
		sum += float64(v) * float64(v)
	}
	if sum == 0 {
		clear(dst)
		return
	}
	inv := 1 / math.Sqrt(sum)
	for i, v := range src {
		dst[i] = float32(float64(v) * inv)
	}
}

// dotGeneric returns the dot product of two equal-length vectors, in four independent partial
// sums. dot (dot_amd64.go, dot_other.go) uses it where no faster version applies.
func dotGeneric(a, b []float32) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(a); i += 4 {
		s0 += a[i] * b[i]
		s1 += a[i+1] * b[i+1]
		s2 += a[i+2] * b[i+2]
		s3 += a[i+3] * b[i+3]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return s0 + s1 + s2 + s3
}
