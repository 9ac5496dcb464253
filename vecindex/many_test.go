package vecindex

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// manySearcher is an Index that also answers many queries at once (Exact, HNSW).
type manySearcher interface {
	Index
	SearchMany(agentID string, queries [][]float32, k int, minScore float64, keep func(id string) bool) [][]Result
}

// TestSearchManyMatchesSearch: every answer of SearchMany is the prefix of Search's answer with
// scores at least minScore, ties and keep included: for Exact, and for HNSW scanning, walking a
// graph, and walking a graph whose newest vectors are not linked yet.
func TestSearchManyMatchesSearch(t *testing.T) {
	const dim = 16
	for _, pending := range []int{maxPending, 7} {
		t.Run(fmt.Sprintf("exact/pending=%d", pending), func(t *testing.T) {
			defer func(old int) { maxPending = old }(maxPending)
			maxPending = pending
			testSearchManyMatchesSearch(t, NewExact(dim), nil, nil)
		})
	}
	t.Run("hnsw/scan", func(t *testing.T) { testSearchManyMatchesSearch(t, NewHNSW(dim), nil, nil) })
	graph := func() *HNSW { return newGraphOnly(dim, WithM(8), WithEfConstruction(32), WithEfSearch(32)) }
	t.Run("hnsw/graph", func(t *testing.T) {
		h := graph()
		defer stallLinkers(h)() // the comparisons see one graph: nothing links behind them
		testSearchManyMatchesSearch(t, h, nil, h.Flush)
	})
	t.Run("hnsw/unlinked-tail", func(t *testing.T) {
		h := graph()
		var resume func()
		testSearchManyMatchesSearch(t, h, func() {
			h.Flush()
			resume = stallLinkers(h)
		}, nil)
		resume()
	})
}

// testSearchManyMatchesSearch fills agent "a" of x (calling midway, when not nil, after 900 of
// its 1,000 vectors), removes some, calls ready when not nil, and compares SearchMany with
// Search.
func testSearchManyMatchesSearch(t *testing.T, x manySearcher, midway, ready func()) {
	const dim = 16
	rng := rand.New(rand.NewPCG(7, 9))
	vec := func() []float32 {
		v := make([]float32, dim)
		for i := range v {
			v[i] = float32(rng.NormFloat64())
		}
		v[0] += 2 // cosines spread around a positive mean, so thresholds cut inside the lists
		return v
	}
	var stored [][]float32
	for i := range 1000 {
		v := vec()
		if i%10 == 3 && len(stored) > 0 {
			v = stored[rng.IntN(len(stored))] // exact duplicates: equal scores, broken by id
		}
		stored = append(stored, v)
		x.Add("a", fmt.Sprintf("p%04d", i), v)
		if i == 899 && midway != nil {
			midway()
		}
	}
	x.Add("b", "other", vec())
	for i := 0; i < 1000; i += 7 {
		x.Remove("a", fmt.Sprintf("p%04d", i))
	}
	h, _ := x.(*HNSW)
	if h != nil {
		for i := 1; i < 1000; i += 3 { // hidden from the Shown searches only
			h.SetHidden("a", fmt.Sprintf("p%04d", i), true)
		}
	}
	if ready != nil {
		ready()
	}
	keep := func(id string) bool { return id[len(id)-1] != '5' }
	queries := [][]float32{stored[1], stored[2], make([]float32, dim), {1, 2}}
	for range 70 {
		queries = append(queries, vec())
	}
	for _, k := range []int{1, 20, 100, 2000} {
		for _, minScore := range []float64{-2, 0, 0.5, 0.9, 1} {
			for _, kp := range []func(string) bool{nil, keep} {
				got := x.SearchMany("a", queries, k, minScore, kp)
				if len(got) != len(queries) {
					t.Fatalf("%d answers for %d queries", len(got), len(queries))
				}
				for i, q := range queries {
					want := x.Search("a", q, k, kp)
					n := 0
					for n < len(want) && want[n].Score >= minScore {
						n++
					}
					if !slices.Equal(got[i], want[:n]) && !(len(got[i]) == 0 && n == 0) {
						t.Fatalf("k=%d min=%v query %d: got %v, want %v", k, minScore, i, got[i], want[:n])
					}
				}
				if h == nil {
					continue
				}
				got = h.SearchManyShown("a", queries, k, minScore, kp)
				for i, q := range queries {
					want := atLeast(h.SearchShown("a", q, k, kp), minScore)
					if !slices.Equal(got[i], want) {
						t.Fatalf("shown, k=%d min=%v query %d: got %v, want %v", k, minScore, i, got[i], want)
					}
				}
			}
		}
	}
	if got := x.SearchMany("nobody", queries[:2], 5, 0, nil); len(got) != 2 || got[0] != nil || got[1] != nil {
		t.Errorf("unknown agent: %v", got)
	}
}

// TestExactSharedVectors: rows with equal vectors share one stored vector through adds,
// replacements and removals (checkShards), and Search answers what scoring every row answers.
func TestExactSharedVectors(t *testing.T) {
	const dim = 12
	rng := rand.New(rand.NewPCG(21, 22))
	pool := make([][]float32, 15) // few distinct vectors: many rows share each
	for i := range pool {
		pool[i] = make([]float32, dim)
		for j := range pool[i] {
			pool[i][j] = float32(rng.NormFloat64())
		}
	}
	x := NewExact(dim)
	ref := map[string][]float32{}
	for step := range 3000 {
		id := fmt.Sprintf("p%03d", rng.IntN(400))
		switch r := rng.IntN(10); {
		case r < 6:
			v := pool[rng.IntN(len(pool))]
			if r == 0 {
				v = append([]float32(nil), v...)
				for j := range v {
					v[j] *= 3 // the same direction: the same normalized vector
				}
			}
			x.Add("a", id, v)
			ref[id] = v
		case r < 9:
			x.Remove("a", id)
			delete(ref, id)
		default:
			if step%500 == 0 {
				x.RemoveAgent("a")
				clear(ref)
			}
		}
		if step%100 != 0 {
			continue
		}
		checkShards(t, x)
		if x.Len("a") != len(ref) {
			t.Fatalf("step %d: Len %d, want %d", step, x.Len("a"), len(ref))
		}
		q := pool[rng.IntN(len(pool))]
		nq := make([]float32, dim)
		normalizeInto(nq, q)
		var want []Result
		for id, v := range ref {
			nv := make([]float32, dim)
			normalizeInto(nv, v)
			want = append(want, Result{ID: id, Score: float64(dot(nq, nv))})
		}
		slices.SortFunc(want, func(a, b Result) int {
			if worse(a, b) {
				return 1
			}
			return -1
		})
		want = clampScores(want[:min(25, len(want))])
		if got := x.Search("a", q, 25, nil); !slices.Equal(got, want) && len(want) > 0 {
			t.Fatalf("step %d: got %v, want %v", step, got, want)
		}
	}
}

// TestSearchManyEqualScores: distinct vectors of exactly equal score against a query (axes
// against their sum) have their rows merged by id, as Search orders them.
func TestSearchManyEqualScores(t *testing.T) {
	const dim = 8
	x := NewExact(dim)
	for i := range 60 {
		v := make([]float32, dim)
		v[i%4] = 1 // four distinct vectors, each held by 15 rows
		x.Add("a", fmt.Sprintf("p%02d", (i*37)%60), v)
	}
	q := []float32{1, 1, 1, 1, 0, 0, 0, 0}
	keep := func(id string) bool { return id[2] != '3' }
	for _, k := range []int{1, 7, 20, 60, 100} {
		for _, kp := range []func(string) bool{nil, keep} {
			want := x.Search("a", q, k, kp)
			if got := x.SearchMany("a", [][]float32{q}, k, 0, kp)[0]; !slices.Equal(got, want) {
				t.Fatalf("k=%d: got %v, want %v", k, got, want)
			}
		}
	}
}
