package lexindex

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// zipfText returns n sentences of 8 to 24 words drawn from a Zipf distribution over a vocabulary
// of vocab invented words, as word frequencies in conversation fall off.
func zipfText(n, vocab int, seed uint64) []string {
	rng := rand.New(rand.NewPCG(seed, 7))
	z := rand.NewZipf(rng, 1.1, 1, uint64(vocab-1))
	out := make([]string, n)
	for i := range out {
		w := make([]string, 8+rng.IntN(17))
		for j := range w {
			w[j] = fmt.Sprintf("w%dx", z.Uint64())
		}
		out[i] = strings.Join(w, " ")
	}
	return out
}

// BenchmarkSearch: one agent of n passages, queries of 6 words, k = 200 (the candidate depth
// the archival stores ask for), beside 9 other agents of n/10 passages each, which must not slow
// it.
func BenchmarkSearch(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			x := New()
			for a := range 10 {
				size := n / 10
				if a == 0 {
					size = n
				}
				for i, text := range zipfText(size, 50_000, uint64(a)) {
					x.Add(fmt.Sprint("agent", a), fmt.Sprint("p", i), text)
				}
			}
			queries := zipfText(64, 50_000, 99)
			for i := range queries {
				queries[i] = strings.Join(strings.Fields(queries[i])[:6], " ")
			}
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				x.Search("agent0", queries[i%len(queries)], 200, nil)
			}
		})
	}
}

// BenchmarkAdd: indexing one passage of about 16 words.
func BenchmarkAdd(b *testing.B) {
	texts := zipfText(4096, 50_000, 1)
	x := New()
	for i := 0; b.Loop(); i++ {
		x.Add("agent", fmt.Sprint("p", i), texts[i%len(texts)])
	}
}
