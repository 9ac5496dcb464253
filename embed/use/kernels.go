package use

// The three kernels of the forward pass. On amd64 with AVX2 and FMA they
// are assembly (kernels_amd64.s); elsewhere these Go loops.

// kr and kc are the block of the matrix kernel: kr rows of A times a
// panel of kc output columns.
const (
	kr = 6
	kc = 16
)

// kernGo adds A[0:6, 0:k] · P to C[0:6, 0:16], where A has row stride
// lda, P is a packed panel (k rows of 16) and C has row stride ldc.
func kernGo(k int, a []float32, lda int, p []float32, c []float32, ldc int) {
	var acc [kr][kc]float32
	for i := range kr {
		copy(acc[i][:], c[i*ldc:i*ldc+kc])
	}
	for l := range k {
		row := (*[kc]float32)(p[l*kc:])
		for i := range kr {
			x := a[i*lda+l]
			ac := &acc[i]
			for j := range kc {
				ac[j] += x * row[j]
			}
		}
	}
	for i := range kr {
		copy(c[i*ldc:i*ldc+kc], acc[i][:])
	}
}

func dotGo(a, b []float32) float32 {
	var s0, s1, s2, s3 float32
	n := len(a)
	b = b[:n]
	i := 0
	for ; i+4 <= n; i += 4 {
		s0 += a[i] * b[i]
		s1 += a[i+1] * b[i+1]
		s2 += a[i+2] * b[i+2]
		s3 += a[i+3] * b[i+3]
	}
	for ; i < n; i++ {
		s0 += a[i] * b[i]
	}
	return (s0 + s1) + (s2 + s3)
}

func axpyGo(alpha float32, x, y []float32) {
	y = y[:len(x)]
	for i, v := range x {
		y[i] += alpha * v
	}
}
