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

// TestDotRowsMatchesDot: every result of dotRows is bit for bit what dot returns, for every
// dimension up to 130.
func TestDotRowsMatchesDot(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for dim := 1; dim <= 130; dim++ {
		q := make([]float32, dim)
		for i := range q {
			q[i] = float32(rng.NormFloat64())
		}
		rows := make([]float32, 7*dim)
		for i := range rows {
			rows[i] = float32(rng.NormFloat64())
		}
		out := make([]float32, 7)
		dotRows(q, rows, out)
		for j := range out {
			if want := dot(q, rows[j*dim:(j+1)*dim]); math.Float32bits(out[j]) != math.Float32bits(want) {
				t.Fatalf("dim %d row %d: %v, dot %v", dim, j, out[j], want)
			}
		}
	}
}
