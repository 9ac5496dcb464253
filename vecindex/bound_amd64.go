package vecindex

//go:noescape
func boundBlockAVX2(qp, cols *float32, nk int, need float32, out *float32, mask *uint64)

//go:noescape
func dotRowsHalfIdxAVX2(q *float32, rows *uint16, dim int, idx *int32, n int, out *float32)

// boundBlock writes to out[r] the bound of row r of one block of bounds (bound.go): the sum over
// k < len(qp) of qp[k]·cols[k*manyBlock+r], for every r < manyBlock; and sets bit r%64 of
// mask[r/64] when out[r] >= need.
func boundBlock(qp, cols []float32, need float32, out []float32, mask *[manyBlock / 64]uint64) {
	cols, out = cols[:len(qp)*manyBlock], out[:manyBlock]
	if useAVX2 && len(qp) > 0 {
		boundBlockAVX2(&qp[0], &cols[0], len(qp), need, &out[0], &mask[0])
		return
	}
	boundBlockGeneric(qp, cols, need, out, mask)
}

// dotRowsHalfIdx writes to out[j] the dot product of q with float16 row idx[j] of rows (rows of
// len(q)), for every j < len(idx): each is exactly what dotHalf(q, row) returns.
func dotRowsHalfIdx(q []float32, rows []uint16, idx []int32, out []float32) {
	if len(idx) == 0 {
		return
	}
	out = out[:len(idx)]
	dim := len(q)
	for _, i := range idx {
		_ = rows[(int(i)+1)*dim-1] // bounds checked here, not in the kernel
	}
	if useF16C && dim >= 8 {
		dotRowsHalfIdxAVX2(&q[0], &rows[0], dim, &idx[0], len(idx), &out[0])
		return
	}
	for j, i := range idx {
		out[j] = dotHalfGeneric(q, rows[int(i)*dim:(int(i)+1)*dim])
	}
}

//go:noescape
func decodeHalfAVX2(dst *float32, src *uint16, n int)

// decodeHalfFast writes the float16 vector h into dst as float32 (exactly, as decodeHalf's
// portable loop does) and returns it: F16C eight at a time, the rest by the loop.
func decodeHalfFast(dst []float32, h []uint16) []float32 {
	dst = dst[:len(h)]
	n := len(h) &^ 7
	if useF16C && n > 0 {
		decodeHalfAVX2(&dst[0], &h[0], n)
		decodeHalfGeneric(dst[n:], h[n:])
		return dst
	}
	return decodeHalfGeneric(dst, h)
}
