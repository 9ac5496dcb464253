package vecindex

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkExactSearch measures one top-10 search over one agent's vectors of dimension 100.
func BenchmarkExactSearch(b *testing.B) {
	const dim, k = 100, 10
	for _, n := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(42, uint64(n)))
			randVec := func() []float32 {
				v := make([]float32, dim)
				for i := range v {
					v[i] = float32(rng.NormFloat64())
				}
				return v
			}
			x := NewExact(dim)
			for i := range n {
				x.Add("agent", fmt.Sprint("p", i), randVec())
			}
			queries := make([][]float32, 64)
			for i := range queries {
				queries[i] = randVec()
			}
			for i := 0; b.Loop(); i++ {
				if got := x.Search("agent", queries[i%len(queries)], k, nil); len(got) != k {
					b.Fatalf("got %d results", len(got))
				}
			}
		})
	}
}
