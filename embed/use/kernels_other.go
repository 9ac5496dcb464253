//go:build !amd64 || purego

package use

const hasSIMD, hasAVX512 = false, false

func kern(k int, a []float32, lda int, p []float32, c []float32, ldc int) {
	kernGo(k, a, lda, p, c, ldc)
}

func kern2(k int, a []float32, lda int, p []float32, c []float32, ldc int) {
	kernGo(k, a, lda, p, c, ldc)
	kernGo(k, a, lda, p[k*kc:], c[kc:], ldc)
}

func dot(a, b []float32) float32 { return dotGo(a, b) }

func axpy(alpha float32, x, y []float32) { axpyGo(alpha, x, y) }
