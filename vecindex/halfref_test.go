package vecindex

import (
	"math"
	"slices"
)

// halfTol is how far an HNSW score may be from the float32 cosine: it holds its vectors as
// float16 (half.go).
const halfTol = 1e-3

// tol is how far x's scores may be from the exact cosine.
func tol(x Index) float64 {
	if _, ok := x.(*HNSW); ok {
		return halfTol
	}
	return eps
}

// held returns v as x holds it: HNSW keeps its normalized vector rounded to float16.
func held(x Index, v []float32) []float32 {
	if _, ok := x.(*HNSW); !ok {
		return v
	}
	h := make([]uint16, len(v))
	normalizeHalf(h, v, make([]float32, len(v)))
	return decodeHalf(make([]float32, len(v)), h)
}

// heldScore is the score x gives v for query q, in float64: the cosine, and for HNSW the dot
// product of the normalized query with the float16 vector it holds (whose norm is 1 within
// rounding, and not divided out).
func heldScore(x Index, q, v []float32) float64 {
	if _, ok := x.(*HNSW); !ok {
		return cosine(q, v)
	}
	var d, nq float64
	for _, f := range q {
		nq += float64(f) * float64(f)
	}
	for i, f := range held(x, v) {
		d += float64(q[i]) * float64(f)
	}
	return d / math.Sqrt(nq)
}

// halfRef is the obvious exact search over float16 vectors, as HNSW's scan computes it (the
// same kernel, the same clamping and order): what an HNSW agent answers below its graph size,
// bit for bit.
type halfRef struct {
	dim  int
	vecs map[string]map[string][]uint16
}

func newHalfRef(dim int) *halfRef { return &halfRef{dim: dim, vecs: map[string]map[string][]uint16{}} }

func (r *halfRef) Add(agentID, id string, vec []float32) {
	if len(vec) != r.dim {
		return
	}
	if r.vecs[agentID] == nil {
		r.vecs[agentID] = map[string][]uint16{}
	}
	h := make([]uint16, r.dim)
	normalizeHalf(h, vec, make([]float32, r.dim))
	r.vecs[agentID][id] = h
}

func (r *halfRef) Remove(agentID, id string)  { delete(r.vecs[agentID], id) }
func (r *halfRef) RemoveAgent(agentID string) { delete(r.vecs, agentID) }
func (r *halfRef) Len(agentID string) int     { return len(r.vecs[agentID]) }

func (r *halfRef) Search(agentID string, query []float32, k int, keep func(id string) bool) []Result {
	if k <= 0 || len(query) != r.dim || len(r.vecs[agentID]) == 0 {
		return nil
	}
	q := make([]float32, r.dim)
	normalizeInto(q, query)
	var out []Result
	for id, h := range r.vecs[agentID] {
		if keep == nil || keep(id) {
			out = append(out, Result{ID: id, Score: math.Max(-1, math.Min(1, float64(dotHalf(q, h))))})
		}
	}
	slices.SortFunc(out, bestFirst)
	return out[:min(k, len(out))]
}
