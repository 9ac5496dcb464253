//go:build !amd64

package vecindex

// dot returns the dot product of two equal-length vectors.
func dot(a, b []float32) float32 { return dotGeneric(a, b) }
