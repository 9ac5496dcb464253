package vecindex

import "github.com/x448/float16"

// HNSW holds its vectors as IEEE 754 half-precision floats (float16, by package
// github.com/x448/float16): half the memory of float32, and half the bytes a scan or a graph
// walk reads, which is what their time goes to. A unit vector's components are rounded to
// within one part in 2¹¹ (or 3·10⁻⁸ absolute, below float16's normal range), so a cosine
// moves by less than about 10⁻³ (TestHalfRoundTrip); queries stay float32.

// normalizeHalf writes src scaled to unit length into dst as float16, rounding to nearest even;
// a zero vector stays zero.
func normalizeHalf(dst []uint16, src []float32, buf []float32) {
	normalizeInto(buf, src)
	for i, v := range buf[:len(src)] {
		dst[i] = float16.Fromfloat32(v).Bits()
	}
}

// storeHalf is normalizeHalf with its scratch on the stack up to dimension 1024.
func storeHalf(dst []uint16, src []float32) {
	var buf [1024]float32
	if len(src) > len(buf) {
		normalizeHalf(dst, src, make([]float32, len(src)))
		return
	}
	normalizeHalf(dst, src, buf[:len(src)])
}

// decodeHalf writes the float16 vector h into dst as float32 (exactly) and returns it. Linking
// widens every candidate it compares (selectNeighbours): by F16C where the CPU has it, since the
// portable conversion was a tenth of the linking's time.
func decodeHalf(dst []float32, h []uint16) []float32 { return decodeHalfFast(dst, h) }

// decodeHalfGeneric is decodeHalf's portable loop.
func decodeHalfGeneric(dst []float32, h []uint16) []float32 {
	dst = dst[:len(h)]
	for i, b := range h {
		dst[i] = float16.Frombits(b).Float32()
	}
	return dst
}

// dotHalfGeneric is the portable dot product of q and the float16 vector h, in four lanes as
// dotGeneric.
func dotHalfGeneric(q []float32, h []uint16) float32 {
	h = h[:len(q)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(q); i += 4 {
		s0 += q[i] * float16.Frombits(h[i]).Float32()
		s1 += q[i+1] * float16.Frombits(h[i+1]).Float32()
		s2 += q[i+2] * float16.Frombits(h[i+2]).Float32()
		s3 += q[i+3] * float16.Frombits(h[i+3]).Float32()
	}
	for ; i < len(q); i++ {
		s0 += q[i] * float16.Frombits(h[i]).Float32()
	}
	return (s0 + s1) + (s2 + s3)
}
