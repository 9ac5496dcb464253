//go:build !amd64

package vecindex

// boundBlock writes to out[r] the bound of row r of one block of bounds (bound.go): the sum over
// k < len(qp) of qp[k]·cols[k*manyBlock+r], for every r < manyBlock; and sets bit r%64 of
// mask[r/64] when out[r] >= need.
func boundBlock(qp, cols []float32, need float32, out []float32, mask *[manyBlock / 64]uint64) {
	boundBlockGeneric(qp, cols, need, out, mask)
}

// dotRowsHalfIdx writes to out[j] the dot product of q with float16 row idx[j] of rows (rows of
// len(q)), for every j < len(idx): each is exactly what dotHalf(q, row) returns.
func dotRowsHalfIdx(q []float32, rows []uint16, idx []int32, out []float32) {
	dim := len(q)
	for j, i := range idx {
		out[j] = dotHalf(q, rows[int(i)*dim:(int(i)+1)*dim])
	}
}

// decodeHalfFast is decodeHalf's portable loop here.
func decodeHalfFast(dst []float32, h []uint16) []float32 { return decodeHalfGeneric(dst, h) }
