//go:build amd64 && !purego

package use

import (
	"unsafe"

	"golang.org/x/sys/cpu"
)

// hasSIMD says whether the assembly kernels can run; hasAVX512 whether
// the matrix kernel can take two panels at once in 512-bit registers.
var (
	hasSIMD   = cpu.X86.HasAVX2 && cpu.X86.HasFMA
	hasAVX512 = hasSIMD && cpu.X86.HasAVX512F
)

//go:noescape
func kern6x16(k int, a *float32, lda int, p *float32, c *float32, ldc int)

//go:noescape
func kern6x32(k int, a *float32, lda int, p *float32, c *float32, ldc int)

//go:noescape
func dot16(a, b *float32, n int) float32

//go:noescape
func axpy16(alpha float32, x, y *float32, n int)

// kern is kernGo's contract. The caller guarantees the bounds: A holds 6
// rows of k (stride lda), P k×16 and C 6 rows of 16 (stride ldc).
func kern(k int, a []float32, lda int, p []float32, c []float32, ldc int) {
	if !hasSIMD {
		kernGo(k, a, lda, p, c, ldc)
		return
	}
	_ = a[(kr-1)*lda+k-1]
	_ = p[k*kc-1]
	_ = c[(kr-1)*ldc+kc-1]
	kern6x16(k, unsafe.SliceData(a), lda, unsafe.SliceData(p), unsafe.SliceData(c), ldc)
}

// kern2 is kern over two adjacent panels: P holds 2·k×16 (panel p, then
// p+1) and C 6 rows of 32.
func kern2(k int, a []float32, lda int, p []float32, c []float32, ldc int) {
	if !hasAVX512 {
		kern(k, a, lda, p, c, ldc)
		kern(k, a, lda, p[k*kc:], c[kc:], ldc)
		return
	}
	_ = a[(kr-1)*lda+k-1]
	_ = p[2*k*kc-1]
	_ = c[(kr-1)*ldc+2*kc-1]
	kern6x32(k, unsafe.SliceData(a), lda, unsafe.SliceData(p), unsafe.SliceData(c), ldc)
}

// dot returns a·b; len(b) ≥ len(a).
func dot(a, b []float32) float32 {
	n := len(a)
	if !hasSIMD || n%16 != 0 || n == 0 {
		return dotGo(a, b)
	}
	_ = b[n-1]
	return dot16(unsafe.SliceData(a), unsafe.SliceData(b), n)
}

// axpy adds alpha·x to y; len(y) ≥ len(x).
func axpy(alpha float32, x, y []float32) {
	n := len(x)
	if !hasSIMD || n%16 != 0 || n == 0 {
		axpyGo(alpha, x, y)
		return
	}
	_ = y[n-1]
	axpy16(alpha, unsafe.SliceData(x), unsafe.SliceData(y), n)
}
