package pgarchival_test

import (
	"math"
	"sort"
)

// normalize scales v to unit length in place and returns it.
func normalize(v []float32) []float32 {
	var sum float64
	for _, x := range v {
		sum += float64(x) * float64(x)
	}
	if sum == 0 {
		return v
	}
	inv := 1 / math.Sqrt(sum)
	for i := range v {
		v[i] = float32(float64(v[i]) * inv)
	}
	return v
}

// cosine of two vectors, in float64.
func cosine(a, b []float32) float64 {
	var dot, na, nb float64
	for i := range a {
		dot += float64(a[i]) * float64(b[i])
		na += float64(a[i]) * float64(a[i])
		nb += float64(b[i]) * float64(b[i])
	}
	if na == 0 || nb == 0 {
		return 0
	}
	return dot / math.Sqrt(na*nb)
}

// exactTop is brute-force dense search: the ids of the k vectors nearest to q by cosine, best
// first, ties by id.
func exactTop(vecs map[string][]float32, q []float32, k int) []string {
	type scored struct {
		id    string
		score float64
	}
	all := make([]scored, 0, len(vecs))
	for id, v := range vecs {
		all = append(all, scored{id, cosine(v, q)})
	}
	sort.Slice(all, func(i, j int) bool {
		if all[i].score != all[j].score {
			return all[i].score > all[j].score
		}
		return all[i].id < all[j].id
	})
	out := make([]string, 0, k)
	for _, s := range all[:min(k, len(all))] {
		out = append(out, s.id)
	}
	return out
}
