package archivaltest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/memsvc/memsvc/archival"
)

// testNeighbors: archival.SearchNeighbors (a store's own NeighborSearcher, when it has one)
// answers what one Search per vector answers, cut at MinDense: ties, keys, invalid passages,
// another agent's passages and a deleted passage included.
func testNeighbors(t *testing.T, s archival.Store) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(3, 5))
	rvec := func() []float32 {
		v := vec(s)
		for i := range 4 {
			v[i] = float32(rng.NormFloat64())
		}
		v[0] += 1.5 // cosines spread around a positive mean, so MinDense cuts inside the lists
		return v
	}
	var ps []archival.Passage
	for i := range 60 {
		p := passage("a", fmt.Sprintf("p%02d", i), fmt.Sprintf("passage number %d", i), rvec())
		switch {
		case i%9 == 4:
			p.Vector = ps[i-1].Vector // equal cosines
		case i%7 == 2:
			p.Key = fmt.Sprintf("k%d", i)
		case i%11 == 5:
			p.Status = archival.StatusInvalidated
		}
		ps = append(ps, p)
	}
	upsert(t, s, ps...)
	upsert(t, s, passage("b", "other", "another agent", ps[0].Vector))
	if err := s.Delete(ctx, "a", "p10"); err != nil {
		t.Fatal(err)
	}
	vecs := [][]float32{ps[0].Vector, ps[4].Vector, nil, vec(s)}
	for range 12 {
		vecs = append(vecs, rvec())
	}
	for _, k := range []int{1, 5, 20} {
		for _, minDense := range []float64{-1, 0.5, 0.9} {
			q := archival.NeighborQuery{AgentID: "a", Vectors: vecs, K: k, MinDense: minDense}
			got, err := archival.SearchNeighbors(ctx, s, q)
			if err != nil {
				t.Fatalf("SearchNeighbors(k=%d, min=%v): %v", k, minDense, err)
			}
			if len(got) != len(vecs) {
				t.Fatalf("%d answers for %d vectors", len(got), len(vecs))
			}
			for i, v := range vecs {
				var want []archival.Neighbor
				if len(v) != 0 {
					want = archival.NeighborsOf(search(t, s, archival.Query{AgentID: "a", Vector: v, K: k}), minDense)
				}
				if !slices.EqualFunc(got[i], want, func(a, b archival.Neighbor) bool {
					return a.ID == b.ID && a.Key == b.Key && a.Text == b.Text && a.Dense == b.Dense
				}) {
					t.Errorf("k=%d min=%v vector %d: got %+v, want %+v", k, minDense, i, got[i], want)
				}
			}
		}
	}
	if _, err := archival.SearchNeighbors(ctx, s, archival.NeighborQuery{AgentID: "a", Vectors: [][]float32{{1}}, K: 5}); err == nil {
		t.Error("a vector of another dimension: no error")
	}
}
