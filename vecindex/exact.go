package vecindex

import (
	"math"
	"sync"
)

// Exact is an Index that scores every vector of the agent: exact results, O(n·dim) per search.
// Each agent's vectors are kept L2-normalized in one contiguous slice, so a search is a linear
// scan of dot products; removal swaps the last vector into the freed slot.
//
// Exact has a fixed dimension. Callers check lengths: Add ignores a vector of another length
// (leaving any stored vector in place) and Search answers nil for a query of another length.
type Exact struct {
	dim    int
	mu     sync.RWMutex
	agents map[string]*shard
}

var _ Index = (*Exact)(nil)

// shard is one agent's vectors: vecs[i*dim:(i+1)*dim] belongs to ids[i].
type shard struct {
	ids  []string
	pos  map[string]int
	vecs []float32
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
	x.mu.Lock()
	defer x.mu.Unlock()
	s := x.agents[agentID]
	if s == nil {
		s = &shard{pos: make(map[string]int)}
		x.agents[agentID] = s
	}
	i, ok := s.pos[id]
	if !ok {
		i = len(s.ids)
		s.pos[id] = i
		s.ids = append(s.ids, id)
		s.vecs = append(s.vecs, make([]float32, x.dim)...)
	}
	normalizeInto(s.vecs[i*x.dim:(i+1)*x.dim], vec)
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
	last := len(s.ids) - 1
	if i != last {
		moved := s.ids[last]
		s.ids[i] = moved
		s.pos[moved] = i
		copy(s.vecs[i*x.dim:(i+1)*x.dim], s.vecs[last*x.dim:])
	}
	s.ids[last] = ""
	s.ids = s.ids[:last]
	s.vecs = s.vecs[:last*x.dim]
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
	return clampScores(scanTopK(q, x.dim, s.ids, s.vecs, k, keep, nil))
}

// scanTopK scores every row of the slab vecs (row i, of length dim, belongs to ids[i]) against
// the normalized query q and returns the k best rows for which keep (nil: all) is true, best
// first, equal scores by id ascending. dead (nil: none) marks rows to skip. keep is only asked
// about ids that would enter the current top k.
func scanTopK(q []float32, dim int, ids []string, vecs []float32, k int, keep func(id string) bool, dead []bool) []Result {
	top := newTopK(min(k, len(ids)))
	for i, id := range ids {
		if dead != nil && dead[i] {
			continue
		}
		score := float64(dot(q, vecs[i*dim:(i+1)*dim]))
		if !top.admits(score, id) || (keep != nil && !keep(id)) {
			continue
		}
		top.push(Result{ID: id, Score: score})
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
