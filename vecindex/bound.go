package vecindex

import (
	"math"
	"math/bits"
)

// A batch scan (SearchMany) skips vectors by an upper bound on their score that costs a third
// of the score.
//
// Text embeddings crowd into a narrow cone: on the bench ladder's GloVe-SIF passages the mean
// of the unit vectors has norm 0.875, 97% of stored passages score at least 0.65 against a new
// one, and the 100th best scores about 0.91. A threshold alone skips nothing, and nor do
// cluster radii; but most of a vector lies in a few directions. For an orthonormal basis B of
// boundDims rows (the top eigenvectors, roughly, of the agent's second-moment matrix), and the
// residual r(x) = x - BᵀBx,
//
//	q·x = (Bq)·(Bx) + r(q)·r(x) ≤ (Bq)·(Bx) + |r(q)|·|r(x)|
//
// by Cauchy–Schwarz, whatever B is, as long as it is orthonormal. An agent of at least
// boundFrom vectors keeps Bx (float32) and |r(x)| (rounded up) of every slot, in blocks of
// manyBlock slots stored column by column (132 bytes a slot). For each block and each query of
// the batch, scanMany works out the block's bounds with sums of whole columns (boundBlock: 33
// floats a row, no horizontal adds, the block's columns staying in cache across the queries)
// and scores only the vectors whose bound reaches what could still enter the query's top (its
// floor, or minScore). On the ladder's 100k passages, 3.5% of the vectors have a bound that
// reaches the final 100th best score; a scan, whose floor rises as it goes, scores more.
// A lone query's scan (scanTopK) does not use the bounds: it reads each block once, and
// reading the bounds costs about what reading the vectors does.
//
// Exactness: the bound is of the real dot product of q and the stored float16 vector; the
// float32 score a scan computes is within about 1e-5 of it at dimension ≤ boundMaxDim, as is
// the float32 bound of its real value, so a vector is skipped only when its bound is below the
// cut by more than boundMargin. A skipped vector's score is below the cut, where the scan
// would have dropped it; a scored one is scored by the same instructions as before
// (dotRowsHalfIdx, bit for bit dotRowsHalf's row), so results do not change
// (TestBoundSkipsOnlyLosers).
const (
	boundDims   = 32
	boundSample = 2048 // vectors the basis is fitted on
	boundMaxDim = 128  // above this, the basis (d² per sample vector) is not fitted
	boundMargin = 1e-4
	boundIters  = 24 // subspace iterations fitting the basis
)

// boundFrom is the number of slots from which an agent keeps bounds (a variable for the tests).
var boundFrom = 4096

// boundBasis is an orthonormal basis of boundDims rows of dimension dim, in float64.
type boundBasis struct {
	dim  int
	rows []float64 // boundDims × dim
}

// fitBoundBasis returns the top boundDims eigenvectors (approximately: any orthonormal basis
// keeps the bound valid; a good one makes it tight) of the second-moment matrix of up to
// boundSample of the n float16 vectors in vecs, spread evenly, by subspace iteration. It is
// deterministic. It returns nil when dim is below boundDims·2 or above boundMaxDim.
func fitBoundBasis(vecs []uint16, n, dim int) *boundBasis {
	if dim < 2*boundDims || dim > boundMaxDim || n == 0 {
		return nil
	}
	step := max(1, n/boundSample)
	m := make([]float64, dim*dim)
	x := make([]float32, dim)
	for i := 0; i < n; i += step {
		decodeHalf(x, vecs[i*dim:(i+1)*dim])
		for r := 0; r < dim; r++ {
			xr := float64(x[r])
			if xr == 0 {
				continue
			}
			row := m[r*dim : (r+1)*dim]
			for c := r; c < dim; c++ {
				row[c] += xr * float64(x[c])
			}
		}
	}
	for r := 0; r < dim; r++ {
		for c := 0; c < r; c++ {
			m[r*dim+c] = m[c*dim+r]
		}
	}
	b := &boundBasis{dim: dim, rows: make([]float64, boundDims*dim)}
	// Start from sample vectors (unit basis vectors where those run out), then iterate.
	for k := 0; k < boundDims; k++ {
		row := b.rows[k*dim : (k+1)*dim]
		if i := k * step * max(1, n/step/boundDims); i < n {
			decodeHalf(x, vecs[i*dim:(i+1)*dim])
			for c := range row {
				row[c] = float64(x[c])
			}
		}
		row[k%dim] += 1e-3
	}
	b.orthonormalize()
	next := make([]float64, boundDims*dim)
	for range boundIters {
		for k := 0; k < boundDims; k++ {
			src, dst := b.rows[k*dim:(k+1)*dim], next[k*dim:(k+1)*dim]
			for r := 0; r < dim; r++ {
				var s float64
				for c, v := range m[r*dim : (r+1)*dim] {
					s += v * src[c]
				}
				dst[r] = s
			}
		}
		b.rows, next = next, b.rows
		b.orthonormalize()
	}
	return b
}

// orthonormalize makes the rows orthonormal by modified Gram–Schmidt, twice over, replacing a
// row that vanishes by the first unit vector that does not.
func (b *boundBasis) orthonormalize() {
	d := b.dim
	for k := 0; k < boundDims; k++ {
		row := b.rows[k*d : (k+1)*d]
		for try := 0; ; try++ {
			for pass := 0; pass < 2; pass++ {
				for j := 0; j < k; j++ {
					prev := b.rows[j*d : (j+1)*d]
					var s float64
					for c := range row {
						s += row[c] * prev[c]
					}
					for c := range row {
						row[c] -= s * prev[c]
					}
				}
			}
			var norm float64
			for _, v := range row {
				norm += v * v
			}
			if norm > 1e-12 || try == d {
				inv := 1 / math.Sqrt(norm)
				for c := range row {
					row[c] *= inv
				}
				break
			}
			clear(row)
			row[(k+try)%d] = 1
		}
	}
}

// project writes Bx into p (boundDims floats) and returns |x - BᵀBx|, rounded up, so that the
// bound it enters stays an upper bound.
func (b *boundBasis) project(p []float32, x []float32) float32 {
	d := b.dim
	var c [boundDims]float64
	for k := range boundDims {
		row := b.rows[k*d : (k+1)*d]
		var s float64
		for j, v := range x[:d] {
			s += row[j] * float64(v)
		}
		c[k] = s
		p[k] = float32(s)
	}
	var rest float64
	for j, v := range x[:d] {
		r := float64(v)
		for k := range boundDims {
			r -= c[k] * b.rows[k*d+j]
		}
		rest += r * r
	}
	return float32(math.Sqrt(rest) * (1 + 1e-6))
}

// boundQuery is a query's side of the bound: Bq, then |r(q)| (boundDims+1 floats), so that one
// row of a block's columns (Bx, then |r(x)|) gives the bound.
type boundQuery struct{ p []float32 }

// query returns the bound's side of the normalized query q.
func (b *boundBasis) query(q []float32) *boundQuery {
	bq := &boundQuery{p: make([]float32, boundDims+1)}
	bq.p[boundDims] = b.project(bq.p[:boundDims], q)
	return bq
}

// boundStride is the floats of one block of bounds: boundDims+1 columns of manyBlock rows.
const boundStride = (boundDims + 1) * manyBlock

// bounds is the per-slot side of the bound an agent keeps once it has a basis: in blocks of
// manyBlock slots (the scans' blocks), column by column, Bx and then |r(x)| of every slot, so
// that a block's bounds are sums of whole columns (boundBlock).
type bounds struct {
	basis *boundBasis
	cols  []float32
}

// set works out slot i's bound from its float16 vector h, growing the blocks to hold it.
func (s *bounds) set(i int, h []uint16) {
	blk, r := i/manyBlock, i%manyBlock
	if need := (blk + 1) * boundStride; len(s.cols) < need {
		s.cols = append(s.cols, make([]float32, need-len(s.cols))...)
	}
	var buf [boundMaxDim]float32
	var p [boundDims]float32
	rest := s.basis.project(p[:], decodeHalf(buf[:len(h)], h))
	c := s.cols[blk*boundStride:]
	for k, v := range p {
		c[k*manyBlock+r] = v
	}
	c[boundDims*manyBlock+r] = rest
}

// move copies slot from's bound to slot to.
func (s *bounds) move(to, from int) {
	ct := s.cols[to/manyBlock*boundStride:]
	cf := s.cols[from/manyBlock*boundStride:]
	rt, rf := to%manyBlock, from%manyBlock
	for k := 0; k <= boundDims; k++ {
		ct[k*manyBlock+rt] = cf[k*manyBlock+rf]
	}
}

// truncate keeps the blocks that hold the first n slots.
func (s *bounds) truncate(n int) {
	s.cols = s.cols[:(n+manyBlock-1)/manyBlock*boundStride]
}

// boundScan scores the slots b..e, within one block of manyBlock (b/manyBlock = (e-1)/manyBlock),
// of the float16 slab vecs against q, except those whose bound is below cut by more than
// boundMargin (they cannot score cut). When most pass it scores the whole range with the block
// kernel into sc.scores[j-b] and returns false; otherwise it leaves the slots that pass in
// sc.idx and their scores in sc.out, in slot order, and returns true.
func boundScan(q []float32, bq *boundQuery, s *bounds, vecs []uint16, b, e int, cut float64, sc *boundScratch) bool {
	n := e - b
	dim := len(q)
	blk := b / manyBlock
	need := float32(cut - boundMargin)
	if float64(need) > cut-boundMargin {
		need = math.Nextafter32(need, float32(math.Inf(-1)))
	}
	var mask [manyBlock / 64]uint64
	boundBlock(bq.p, s.cols[blk*boundStride:(blk+1)*boundStride], need, sc.bnd[:], &mask)
	lo, hi := b-blk*manyBlock, e-blk*manyBlock // the rows of the block in b..e
	pass := 0
	for w := range mask {
		r0 := w * 64
		if r0+64 <= lo || r0 >= hi {
			mask[w] = 0
			continue
		}
		if lo > r0 {
			mask[w] &^= 1<<(lo-r0) - 1
		}
		if hi < r0+64 {
			mask[w] &= 1<<(hi-r0) - 1
		}
		pass += bits.OnesCount64(mask[w])
	}
	if pass*2 > n {
		dotRowsHalf(q, vecs[b*dim:e*dim], sc.scores[:n])
		return false
	}
	idx := sc.idx[:0]
	base := int32(blk * manyBlock)
	for w, m := range mask {
		for m != 0 {
			idx = append(idx, base+int32(w*64+bits.TrailingZeros64(m)))
			m &= m - 1
		}
	}
	sc.idx = idx
	dotRowsHalfIdx(q, vecs, idx, sc.out[:len(idx)])
	return true
}

// boundBlockGeneric is boundBlock's portable loop.
func boundBlockGeneric(qp, cols []float32, need float32, out []float32, mask *[manyBlock / 64]uint64) {
	out = out[:manyBlock]
	clear(out)
	for k, w := range qp {
		for r, v := range cols[k*manyBlock : (k+1)*manyBlock] {
			out[r] += w * v
		}
	}
	*mask = [manyBlock / 64]uint64{}
	for r, v := range out {
		if v >= need {
			mask[r/64] |= 1 << (r % 64)
		}
	}
}

// boundScratch is a scan's scratch for boundScan.
type boundScratch struct {
	scores, bnd, out [manyBlock]float32
	idx              []int32
}

func newBoundScratch() *boundScratch { return &boundScratch{idx: make([]int32, 0, manyBlock)} }
