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

// dotRowsAVX2 writes to out[:n] the dot products of q[:dim] with rows[j*dim:(j+1)*dim], each
// exactly as dotAVX2 computes it.
//
//go:noescape
func dotRowsAVX2(q, rows *float32, dim, n int, out *float32)

// dotRows writes to out[j] the dot product of q with row j of the slab rows (rows of len(q)),
// for every j < len(out); each is exactly what dot(q, row) returns.
func dotRows(q, rows []float32, out []float32) {
	dim := len(q)
	if len(out) == 0 {
		return
	}
	rows = rows[:len(out)*dim]
	if useAVX2 && dim >= 8 {
		dotRowsAVX2(&q[0], &rows[0], dim, len(out), &out[0])
		return
	}
	for j := range out {
		out[j] = dotGeneric(q, rows[j*dim:(j+1)*dim])
	}
}

// useF16C selects the half-precision kernels, which widen float16 with F16C.
var useF16C = useAVX2 && cpu.X86.HasF16C

// dotRowsHalfAVX2 writes to out[:n] the dot products of q[:dim] with the float16 rows
// rows[j*dim:(j+1)*dim].
//
//go:noescape
func dotRowsHalfAVX2(q *float32, rows *uint16, dim, n int, out *float32)

// dotHalf returns the dot product of q and the float16 vector h (of q's length): the rows
// kernel over one row, so that it is bit for bit what dotRowsHalf gives that row.
func dotHalf(q []float32, h []uint16) float32 {
	if useF16C && len(q) >= 8 {
		h = h[:len(q)]
		var out float32
		dotRowsHalfAVX2(&q[0], &h[0], len(q), 1, &out)
		return out
	}
	return dotHalfGeneric(q, h)
}

// dotRowsHalf writes to out[j] the dot product of q with float16 row j of rows (rows of
// len(q)), for every j < len(out); each is exactly what dotHalf(q, row) returns.
func dotRowsHalf(q []float32, rows []uint16, out []float32) {
	dim := len(q)
	if len(out) == 0 {
		return
	}
	rows = rows[:len(out)*dim]
	if useF16C && dim >= 8 {
		dotRowsHalfAVX2(&q[0], &rows[0], dim, len(out), &out[0])
		return
	}
	for j := range out {
		out[j] = dotHalfGeneric(q, rows[j*dim:(j+1)*dim])
	}
}
