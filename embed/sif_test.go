package embed

import (
	"math"
	"testing"
)

func TestSIFWeights(t *testing.T) {
	w := sifWeights(100000)
	for i := range w {
		if !(w[i] > 0 && w[i] < 1) {
			t.Fatalf("rank %d: weight %v outside (0, 1)", i+1, w[i])
		}
		if i > 0 && w[i] < w[i-1] {
			t.Fatalf("rank %d: weight %v < weight of rank %d", i+1, w[i], i)
		}
	}
	// The values quoted in sif.go.
	for _, c := range []struct {
		rank int
		want float64
	}{{1, 0.04}, {100, 0.5}, {1000, 0.9}, {10000, 0.99}} {
		if got := float64(w[c.rank-1]); math.Abs(got-c.want) > 0.02 {
			t.Errorf("rank %d: weight %.3f, want ≈%.2f", c.rank, got, c.want)
		}
	}
	// p(r) sums to 1: Σ a/w - a = Σ p.
	var sum float64
	for _, x := range w {
		sum += sifA/float64(x) - sifA
	}
	if math.Abs(sum-1) > 1e-3 {
		t.Errorf("Σ p(r) = %v, want 1", sum)
	}
}
