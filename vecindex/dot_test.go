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

// TestDotHalf: dotHalf (F16C on amd64 when available) and the portable loop agree with the
// float64 dot product of q and the decoded halves, for every length up to 130 and unaligned
// starts; every result of dotRowsHalf is bit for bit what dotHalf returns.
func TestDotHalf(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	q := make([]float32, 300)
	raw := make([]float32, 300)
	for i := range q {
		q[i], raw[i] = float32(rng.NormFloat64()), float32(rng.NormFloat64())
	}
	h := make([]uint16, 300)
	normalizeHalf(h, raw, make([]float32, 300))
	dec := decodeHalf(make([]float32, 300), h)
	for n := 0; n <= 130; n++ {
		for off := range 3 {
			a, b := q[off:off+n], h[150+2*off:150+2*off+n]
			var ref float64
			for i := range a {
				ref += float64(a[i]) * float64(dec[150+2*off+i])
			}
			got, gen := dotHalf(a, b), dotHalfGeneric(a, b)
			if tol := 1e-5 * (1 + math.Sqrt(float64(n))); math.Abs(float64(got)-ref) > tol || math.Abs(float64(gen)-ref) > tol {
				t.Fatalf("n=%d off=%d: dotHalf %v, generic %v, float64 %v", n, off, got, gen, ref)
			}
		}
	}
	for dim := 1; dim <= 130; dim++ {
		rows := h[:2*dim]
		out := make([]float32, 2)
		dotRowsHalf(q[:dim], rows, out)
		for j := range out {
			if want := dotHalf(q[:dim], rows[j*dim:(j+1)*dim]); out[j] != want {
				t.Fatalf("dim=%d row %d: dotRowsHalf %v, dotHalf %v", dim, j, out[j], want)
			}
		}
	}
}

// TestHalfRoundTrip: a unit vector held as float16 keeps its cosine with itself and with
// others within 10⁻³ of float32's.
func TestHalfRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	const dim = 612
	buf := make([]float32, dim)
	for range 200 {
		a, b := make([]float32, dim), make([]float32, dim)
		for i := range a {
			a[i], b[i] = float32(rng.NormFloat64()), float32(rng.NormFloat64())+0.5*a[i]
		}
		na, nb := make([]float32, dim), make([]float32, dim)
		normalizeInto(na, a)
		normalizeInto(nb, b)
		hb := make([]uint16, dim)
		normalizeHalf(hb, b, buf)
		if d := math.Abs(float64(dotHalf(na, hb)) - float64(dot(na, nb))); d > 1e-3 {
			t.Fatalf("cosine moved by %v", d)
		}
		ha := make([]uint16, dim)
		normalizeHalf(ha, a, buf)
		if self := dotHalf(na, ha); math.Abs(float64(self)-1) > 1e-3 {
			t.Fatalf("self cosine %v", self)
		}
	}
}

// BenchmarkDotRowsHalf scans 100k rows of dimension 100, 40 MB as float32 and 20 MB as
// float16: more than the caches hold, as an agent's vectors at that size are.
func BenchmarkDotRowsHalf(b *testing.B) {
	const dim, n = 100, 100_000
	rng := rand.New(rand.NewPCG(1, 1))
	q, rows32 := make([]float32, dim), make([]float32, dim*n)
	for i := range rows32 {
		rows32[i] = float32(rng.NormFloat64())
	}
	copy(q, rows32)
	rows16 := make([]uint16, dim*n)
	for j := range n {
		normalizeHalf(rows16[j*dim:(j+1)*dim], rows32[j*dim:(j+1)*dim], make([]float32, dim))
	}
	out := make([]float32, n)
	b.Run("float32", func(b *testing.B) {
		for b.Loop() {
			dotRows(q, rows32, out)
		}
	})
	b.Run("float16", func(b *testing.B) {
		for b.Loop() {
			dotRowsHalf(q, rows16, out)
		}
	})
}
