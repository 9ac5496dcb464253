package vecindex

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestDotMatchesGeneric checks dot (AVX2 on amd64 when available) against the portable loop
// for every length up to 130 and unaligned starts.
func TestDotMatchesGeneric(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	buf := make([]float32, 300)
	for i := range buf {
		buf[i] = float32(rng.NormFloat64())
	}
	for n := 0; n <= 130; n++ {
		for off := range 3 {
			a, b := buf[off:off+n], buf[150+2*off:150+2*off+n]
			got, want := dot(a, b), dotGeneric(a, b)
			var ref float64
			for i := range a {
				ref += float64(a[i]) * float64(b[i])
			}
			if math.Abs(float64(got)-ref) > 1e-4*(1+math.Sqrt(float64(n))) ||
				math.Abs(float64(want)-ref) > 1e-4*(1+math.Sqrt(float64(n))) {
				t.Fatalf("n=%d off=%d: dot %v, generic %v, float64 %v", n, off, got, want, ref)
			}
		}
	}
	if got := dot(buf[:100], buf[:100]); got <= 0 {
		t.Fatalf("self dot = %v", got)
	}
}

func BenchmarkDot(b *testing.B) {
	x, y := make([]float32, 100), make([]float32, 100)
	for i := range x {
		x[i], y[i] = float32(i), float32(100-i)
	}
	var s float32
	b.Run("dot", func(b *testing.B) {
		for b.Loop() {
			s += dot(x, y)
		}
	})
	b.Run("generic", func(b *testing.B) {
		for b.Loop() {
			s += dotGeneric(x, y)
		}
	})
	_ = s
}
