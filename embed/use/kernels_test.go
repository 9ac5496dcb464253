package use

import (
	"math"
	"math/rand/v2"
	"testing"
)

func randVec(r *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(r.NormFloat64())
	}
	return v
}

func near(a, b float32, tol float64) bool {
	return math.Abs(float64(a-b)) <= tol*(1+math.Abs(float64(b)))
}

// TestKernelsMatchGo checks the kernels used on this machine (assembly on
// amd64 with AVX2+FMA) against the Go loops, including strides wider than
// the block and panels of several widths.
func TestKernelsMatchGo(t *testing.T) {
	t.Logf("SIMD kernels: AVX2+FMA %v, AVX-512 %v", hasSIMD, hasAVX512)
	r := rand.New(rand.NewPCG(1, 2))
	for _, k := range []int{1, 7, 64, 256, 1536} {
		lda, ldc := k+3, kc*3
		a := randVec(r, kr*lda)
		p := randVec(r, k*kc)
		c0 := randVec(r, kr*ldc)
		c1 := append([]float32(nil), c0...)
		kern(k, a, lda, p, c0, ldc)
		kernGo(k, a, lda, p, c1, ldc)
		for i := range c0 {
			if !near(c0[i], c1[i], 1e-4) {
				t.Fatalf("kern k=%d: element %d = %v, Go %v", k, i, c0[i], c1[i])
			}
		}
		// Two panels at once (AVX-512 where the CPU has it).
		p2 := randVec(r, 2*k*kc)
		c2 := randVec(r, kr*ldc)
		c3 := append([]float32(nil), c2...)
		kern2(k, a, lda, p2, c2, ldc)
		kernGo(k, a, lda, p2, c3, ldc)
		kernGo(k, a, lda, p2[k*kc:], c3[kc:], ldc)
		for i := range c2 {
			if !near(c2[i], c3[i], 1e-4) {
				t.Fatalf("kern2 k=%d: element %d = %v, Go %v", k, i, c2[i], c3[i])
			}
		}
	}
	for _, n := range []int{16, 64, 128, 5, 0} {
		x, y := randVec(r, n), randVec(r, n)
		if d, g := dot(x, y), dotGo(x, y); !near(d, g, 1e-4) {
			t.Fatalf("dot n=%d: %v, Go %v", n, d, g)
		}
		y2 := append([]float32(nil), y...)
		axpy(0.37, x, y)
		axpyGo(0.37, x, y2)
		for i := range y {
			if !near(y[i], y2[i], 1e-5) {
				t.Fatalf("axpy n=%d: element %d = %v, Go %v", n, i, y[i], y2[i])
			}
		}
	}
}
