//go:build amd64 && !purego

package use

import "testing"

// BenchmarkSentence40AVX2 is BenchmarkSentence40 with the AVX-512 kernel
// off, for comparison on CPUs that have it.
func BenchmarkSentence40AVX2(b *testing.B) {
	saved := hasAVX512
	hasAVX512 = false
	defer func() { hasAVX512 = saved }()
	BenchmarkSentence40(b)
}
