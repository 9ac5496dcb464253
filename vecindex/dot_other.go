//go:build !amd64

package vecindex

// dot returns the dot product of two equal-length vectors.
func dot(a, b []float32) float32 { return dotGeneric(a, b) }

// dotRows writes to out[j] the dot product of q with row j of the slab rows (rows of len(q)),
// for every j < len(out); each is exactly what dot(q, row) returns.
func dotRows(q, rows []float32, out []float32) {
	dim := len(q)
	for j := range out {
		out[j] = dot(q, rows[j*dim:(j+1)*dim])
	}
}

// dotHalf returns the dot product of q and the float16 vector h (of q's length).
func dotHalf(q []float32, h []uint16) float32 { return dotHalfGeneric(q, h) }

// dotRowsHalf writes to out[j] the dot product of q with float16 row j of rows (rows of
// len(q)), for every j < len(out); each is exactly what dotHalf(q, row) returns.
func dotRowsHalf(q []float32, rows []uint16, out []float32) {
	dim := len(q)
	for j := range out {
		out[j] = dotHalf(q, rows[j*dim:(j+1)*dim])
	}
}
