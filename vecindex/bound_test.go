package vecindex

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestBoundSkipsOnlyLosers: a batch scan that skips vectors by their bound (bound.go) answers
// what the exact float16 scan answers, bit for bit, for SearchMany, SearchManyShown and the
// first results of SearchManyShownFirst (as do Search and SearchShown), through slot moves (a packed agent's removals, a graph's rebuild), rewrites,
// exact duplicates and near-duplicates (ties at the top's floor), a zero vector and keep filters;
// and the bound does skip most of the crowded vectors, so the comparison tests the skipping.
func TestBoundSkipsOnlyLosers(t *testing.T) {
	defer func(old int) { boundFrom = old }(boundFrom)
	boundFrom = 300
	const dim = 100
	for _, c := range []struct {
		name       string
		exactBelow int
		remove     int // remove every remove-th vector
	}{
		{"packed", 1 << 30, 7},
		{"rebuilt-graph", 500, 2}, // half removed, then more: the graph is rebuilt, slots packed
	} {
		t.Run(c.name, func(t *testing.T) {
			h := NewHNSW(dim, WithExactBelow(c.exactBelow))
			ref := newHalfRef(dim)
			g := newLowRank(dim, 11)
			rng := rand.New(rand.NewPCG(3, 4))
			var stored [][]float32
			add := func(id string, v []float32) {
				h.Add("a", id, v)
				ref.Add("a", id, v)
			}
			for i := range 2000 {
				v := g.next()
				switch {
				case i == 17:
					v = make([]float32, dim)
				case i%10 == 3 && len(stored) > 0:
					v = slices.Clone(stored[rng.IntN(len(stored))]) // equal scores, broken by id
				case i%10 == 6 && len(stored) > 0:
					v = slices.Clone(stored[rng.IntN(len(stored))]) // a near-tie
					v[rng.IntN(dim)] += 1e-3
				}
				stored = append(stored, v)
				add(fmt.Sprintf("p%04d", i), v)
			}
			for i := 0; i < 2000; i += c.remove {
				h.Remove("a", fmt.Sprintf("p%04d", i))
				ref.Remove("a", fmt.Sprintf("p%04d", i))
			}
			for i := 1; i < 2000; i += 5 { // rewritten with a new vector
				add(fmt.Sprintf("p%04d", i), g.next())
			}
			hidden := map[string]bool{}
			for i := 2; i < 2000; i += 3 {
				id := fmt.Sprintf("p%04d", i)
				h.SetHidden("a", id, true)
				hidden[id] = true
			}
			a := h.agent("a", false)
			if a.bnd == nil || len(a.bnd.cols) != (len(a.ids)+manyBlock-1)/manyBlock*boundStride {
				t.Fatalf("the agent keeps no bounds for its %d slots", len(a.ids))
			}

			queries := [][]float32{stored[5], stored[3], make([]float32, dim)}
			for range 40 {
				queries = append(queries, g.next())
			}
			keep := func(id string) bool { return id[len(id)-1] != '4' }
			for _, k := range []int{1, 10, 100, 600} {
				for _, kp := range []func(string) bool{nil, keep} {
					shownKeep := func(id string) bool { return !hidden[id] && (kp == nil || kp(id)) }
					for _, minScore := range []float64{-2, 0.65, 0.9} {
						many := h.SearchMany("a", queries, k, minScore, kp)
						manyShown := h.SearchManyShown("a", queries, k, minScore, kp)
						n := max(1, k/3)
						firstShown := h.SearchManyShownFirst("a", queries, k, n, minScore, kp)
						for i, q := range queries {
							want := ref.Search("a", q, k, kp)
							wantShown := ref.Search("a", q, k, shownKeep)
							if minScore == -2 {
								if got := h.Search("a", q, k, kp); !slices.Equal(got, want) {
									t.Fatalf("k=%d query %d: Search\n got %v\nwant %v", k, i, head(got), head(want))
								}
								if got := h.SearchShown("a", q, k, kp); !slices.Equal(got, wantShown) {
									t.Fatalf("k=%d query %d: SearchShown\n got %v\nwant %v", k, i, head(got), head(wantShown))
								}
							}
							if got, w := many[i], atLeast(want, minScore); !slices.Equal(got, w) {
								t.Fatalf("k=%d min %v query %d: SearchMany\n got %v\nwant %v", k, minScore, i, head(got), head(w))
							}
							if got, w := manyShown[i], atLeast(wantShown, minScore); !slices.Equal(got, w) {
								t.Fatalf("k=%d min %v query %d: SearchManyShown\n got %v\nwant %v", k, minScore, i, head(got), head(w))
							}
							if got, w := firstShown[i], atLeast(wantShown, minScore); !slices.Equal(got, w[:min(n, len(w))]) {
								t.Fatalf("k=%d n=%d min %v query %d: SearchManyShownFirst\n got %v\nwant %v", k, n, minScore, i, head(got), head(w))
							}
						}
					}
				}
			}

			// The bound skips most vectors once the top of 10 is full.
			q := make([]float32, dim)
			normalizeInto(q, queries[5])
			floor := ref.Search("a", q, 10, nil)[9].Score
			bq := a.bnd.basis.query(q)
			skipped := 0
			bnd := make([]float32, manyBlock)
			for b := 0; b < len(a.ids); b += manyBlock {
				var mask [manyBlock / 64]uint64
				boundBlock(bq.p, a.bnd.cols[b/manyBlock*boundStride:], 0, bnd, &mask)
				for _, v := range bnd[:min(manyBlock, len(a.ids)-b)] {
					if float64(v)+boundMargin < floor {
						skipped++
					}
				}
			}
			if skipped*2 < len(a.ids) {
				t.Errorf("the bound skips %d of %d vectors below the 10th best score %.3f, want most", skipped, len(a.ids), floor)
			}
		})
	}
}

// TestBoundIsAnUpperBound: on crowded and on spread vectors, no stored vector's score exceeds
// its bound (the kernel's and the portable one's alike) by a tenth of the margin the scans allow.
func TestBoundIsAnUpperBound(t *testing.T) {
	const dim, n = 100, 3000
	for _, crowded := range []bool{true, false} {
		g := newTextLike(dim, 5)
		vecs := make([]uint16, n*dim)
		for i := range n {
			v := g.next()
			if !crowded {
				v = g.unit()
			}
			normalizeHalf(vecs[i*dim:(i+1)*dim], v, make([]float32, dim))
		}
		basis := fitBoundBasis(vecs, n, dim)
		s := &bounds{basis: basis}
		for i := range n {
			s.set(i, vecs[i*dim:(i+1)*dim])
		}
		worst := math.Inf(-1)
		bnd := make([]float32, manyBlock)
		for range 50 {
			q := make([]float32, dim)
			normalizeInto(q, g.next())
			bq := basis.query(q)
			for b := 0; b < n; b += manyBlock {
				var mask [manyBlock / 64]uint64
				boundBlock(bq.p, s.cols[b/manyBlock*boundStride:], 0, bnd, &mask)
				for i := b; i < min(b+manyBlock, n); i++ {
					score := float64(dotHalf(q, vecs[i*dim:(i+1)*dim]))
					worst = max(worst, score-float64(bnd[i-b]))
				}
			}
		}
		if worst > boundMargin/10 {
			t.Errorf("crowded=%v: a score exceeds its bound by %.2g, want at most %.2g", crowded, worst, boundMargin/10)
		}
	}
}

// lowRank generates vectors like text embeddings where the bound pays: a direction every vector
// shares, most of the rest in 24 directions, and a little noise.
type lowRank struct {
	*textLike
	dirs [][]float32
}

func newLowRank(dim int, seed uint64) *lowRank {
	g := &lowRank{textLike: newTextLike(dim, seed)}
	for range 24 {
		g.dirs = append(g.dirs, g.unit())
	}
	return g
}

func (g *lowRank) next() []float32 {
	v := slices.Clone(g.mean)
	for _, d := range g.dirs {
		w := float32(0.25 * g.rng.NormFloat64())
		for i := range v {
			v[i] += w * d[i]
		}
	}
	for i, x := range g.unit() {
		v[i] += 0.1 * x
	}
	return v
}

func head(r []Result) []Result { return r[:min(len(r), 5)] }

// TestBoundKernels: the AVX2 bound kernel agrees with the portable loop, and the gathering dot
// kernel gives each row exactly what dotHalf gives it.
func TestBoundKernels(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	qp := make([]float32, boundDims+1)
	for i := range qp {
		qp[i] = float32(rng.NormFloat64())
	}
	cols := make([]float32, boundStride)
	for i := range cols {
		cols[i] = float32(rng.NormFloat64())
	}
	got, want := make([]float32, manyBlock), make([]float32, manyBlock)
	var gotMask, wantMask [manyBlock / 64]uint64
	boundBlock(qp, cols, 0.5, got, &gotMask)
	boundBlockGeneric(qp, cols, 0.5, want, &wantMask)
	for r := range got {
		if math.Abs(float64(got[r]-want[r])) > 1e-4 {
			t.Fatalf("row %d: %v, want %v", r, got[r], want[r])
		}
		if g, w := gotMask[r/64]>>(r%64)&1, wantMask[r/64]>>(r%64)&1; g != w && math.Abs(float64(want[r])-0.5) > 1e-4 {
			t.Fatalf("row %d (bound %v): mask bit %d, want %d", r, want[r], g, w)
		}
		if g := gotMask[r/64]>>(r%64)&1 == 1; g != (got[r] >= 0.5) {
			t.Fatalf("row %d (bound %v): mask bit %v", r, got[r], g)
		}
	}
	for _, dim := range []int{8, 13, 100, 612} {
		q := make([]float32, dim)
		for i := range q {
			q[i] = float32(rng.NormFloat64())
		}
		rows := make([]uint16, 50*dim)
		for i := 0; i < 50; i++ {
			v := make([]float32, dim)
			for j := range v {
				v[j] = float32(rng.NormFloat64())
			}
			normalizeHalf(rows[i*dim:(i+1)*dim], v, make([]float32, dim))
		}
		idx := []int32{49, 0, 7, 7, 23}
		out := make([]float32, len(idx))
		dotRowsHalfIdx(q, rows, idx, out)
		for j, i := range idx {
			if w := dotHalf(q, rows[int(i)*dim:(int(i)+1)*dim]); out[j] != w {
				t.Fatalf("dim %d row %d: %v, want %v", dim, i, out[j], w)
			}
		}
	}
}

// TestDecodeHalfExact: the fast widening gives every float16 value the bits the portable one
// gives it (NaNs stay NaNs), at every length's tail.
func TestDecodeHalfExact(t *testing.T) {
	h := make([]uint16, 1<<16)
	for i := range h {
		h[i] = uint16(i)
	}
	got := decodeHalf(make([]float32, len(h)), h)
	want := decodeHalfGeneric(make([]float32, len(h)), h)
	for i := range h {
		if math.IsNaN(float64(want[i])) {
			if !math.IsNaN(float64(got[i])) {
				t.Fatalf("%#04x: %v, want NaN", i, got[i])
			}
			continue
		}
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%#04x: %v, want %v", i, got[i], want[i])
		}
	}
	for n := range 20 {
		got := decodeHalf(make([]float32, n), h[1000:1000+n])
		for i := range n {
			if got[i] != want[1000+i] {
				t.Fatalf("length %d, element %d: %v, want %v", n, i, got[i], want[1000+i])
			}
		}
	}
}
