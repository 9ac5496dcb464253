package vecindex

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"sync"
	"testing"
)

const eps = 1e-6

// axis returns a vector of length dim with the given components set.
func axis(dim int, comps ...float32) []float32 {
	v := make([]float32, dim)
	copy(v, comps)
	return v
}

// checkIndex asserts the bookkeeping of an Exact or HNSW index.
func checkIndex(t *testing.T, x Index) {
	t.Helper()
	switch x := x.(type) {
	case *Exact:
		checkShards(t, x)
	case *HNSW:
		checkHNSW(t, x)
	}
}

// checkShards asserts the bookkeeping of every shard: ids, positions and vectors agree.
func checkShards(t *testing.T, x *Exact) {
	t.Helper()
	x.mu.RLock()
	defer x.mu.RUnlock()
	for agent, s := range x.agents {
		if len(s.ids) == 0 || len(s.pos) != len(s.ids) || len(s.gid) != len(s.ids) || len(s.mpos) != len(s.ids) ||
			len(s.vecs) != len(s.members)*x.dim {
			t.Fatalf("agent %s: %d ids, %d positions, %d groups, %d floats", agent, len(s.ids), len(s.pos), len(s.members), len(s.vecs))
		}
		for i, id := range s.ids {
			if s.pos[id] != i {
				t.Fatalf("agent %s: id %s at %d, pos says %d", agent, id, i, s.pos[id])
			}
			if g, p := s.gid[i], s.mpos[i]; int(p) >= len(s.members[g]) || s.members[g][p] != int32(i) {
				t.Fatalf("agent %s: row %d not at members[%d][%d]", agent, i, g, p)
			}
			if g, p := s.gid[i], s.mpos[i]; p > 0 && s.ids[s.members[g][p-1]] >= s.ids[i] {
				t.Fatalf("agent %s: members of %d out of order at %d", agent, g, p)
			}
		}
		rows, free, hashed := 0, 0, 0
		for g, m := range s.members {
			rows += len(m)
			if len(m) == 0 {
				free++
			}
			for _, c := range s.byHash[hashBits(s.vec(int32(g), x.dim))] {
				if c == int32(g) && len(m) > 0 {
					hashed++
				}
			}
		}
		for _, cs := range s.byHash {
			for _, g := range cs {
				if len(s.members[g]) == 0 {
					t.Fatalf("agent %s: free vector %d is hashed", agent, g)
				}
			}
		}
		if rows != len(s.ids) || free != len(s.free) || hashed != len(s.members)-free {
			t.Fatalf("agent %s: %d rows in groups for %d ids, %d free groups of %d listed, %d hashed", agent, rows, len(s.ids), free, len(s.free), hashed)
		}
	}
}

func ids(rs []Result) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.ID
	}
	return out
}

func equalIDs(got []Result, want ...string) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range want {
		if got[i].ID != want[i] {
			return false
		}
	}
	return true
}

func testSearchOrdersByCosine(t *testing.T, newIndex func(dim int) Index) {
	x := newIndex(4)
	x.Add("a", "x", axis(4, 1))
	x.Add("a", "xy", axis(4, 3, 4)) // cos to x = 0.6
	x.Add("a", "y", axis(4, 0, 2))
	x.Add("a", "negx", axis(4, -5))

	got := x.Search("a", axis(4, 10), 10, nil)
	if !equalIDs(got, "x", "xy", "y", "negx") {
		t.Fatalf("order = %v", ids(got))
	}
	for i, want := range []float64{1, 0.6, 0, -1} {
		if math.Abs(got[i].Score-want) > tol(x) {
			t.Errorf("%s score = %v, want %v", got[i].ID, got[i].Score, want)
		}
	}
	if got := x.Search("a", axis(4, 1), 2, nil); !equalIDs(got, "x", "xy") {
		t.Fatalf("k=2: %v", ids(got))
	}
}

func testScoresStayInRange(t *testing.T, newIndex func(dim int) Index) {
	x := newIndex(3)
	v := []float32{0.1, 0.7, 0.3}
	x.Add("a", "v", v)
	neg := []float32{-0.1, -0.7, -0.3}
	if got := x.Search("a", v, 1, nil); got[0].Score > 1 || got[0].Score < 1-tol(x) {
		t.Fatalf("self score = %v", got[0].Score)
	}
	if got := x.Search("a", neg, 1, nil); got[0].Score < -1 || got[0].Score > -1+tol(x) {
		t.Fatalf("opposite score = %v", got[0].Score)
	}
}

func testAddReplacesAndCopies(t *testing.T, newIndex func(dim int) Index) {
	x := newIndex(2)
	v := axis(2, 1)
	x.Add("a", "p", v)
	v[0], v[1] = 0, 1 // the index must hold its own copy
	if got := x.Search("a", axis(2, 1), 1, nil); math.Abs(got[0].Score-1) > tol(x) {
		t.Fatalf("caller's slice leaked into the index: %v", got)
	}
	x.Add("a", "p", axis(2, 0, 1))
	if n := x.Len("a"); n != 1 {
		t.Fatalf("Len after replace = %d, want 1", n)
	}
	if got := x.Search("a", axis(2, 0, 1), 1, nil); math.Abs(got[0].Score-1) > tol(x) {
		t.Fatalf("replaced vector not used: %v", got)
	}
}

func testRemoveSwapsLast(t *testing.T, newIndex func(dim int) Index) {
	x := newIndex(3)
	x.Add("a", "p0", axis(3, 1))
	x.Add("a", "p1", axis(3, 0, 1))
	x.Add("a", "p2", axis(3, 0, 0, 1))
	x.Remove("a", "p0") // p2 moves into slot 0
	x.Remove("a", "missing")
	x.Remove("nobody", "p1")
	if n := x.Len("a"); n != 2 {
		t.Fatalf("Len = %d, want 2", n)
	}
	checkIndex(t, x)
	if got := x.Search("a", axis(3, 0, 0, 1), 1, nil); !equalIDs(got, "p2") || math.Abs(got[0].Score-1) > tol(x) {
		t.Fatalf("moved vector lost: %v", got)
	}
	if got := x.Search("a", axis(3, 1), 5, nil); len(got) != 2 || got[0].Score > tol(x) {
		t.Fatalf("removed vector still scored: %v", got)
	}
	x.Add("a", "p3", axis(3, 1, 1))
	if got := x.Search("a", axis(3, 1, 1), 1, nil); !equalIDs(got, "p3") {
		t.Fatalf("add after remove: %v", ids(got))
	}
	x.Remove("a", "p1")
	x.Remove("a", "p2")
	x.Remove("a", "p3")
	if n := x.Len("a"); n != 0 {
		t.Fatalf("Len after removing all = %d", n)
	}
	checkIndex(t, x)
	if got := x.Search("a", axis(3, 1), 3, nil); got != nil {
		t.Fatalf("search of empty agent = %v", got)
	}
}

func testAgentsAreIsolated(t *testing.T, newIndex func(dim int) Index) {
	x := newIndex(2)
	x.Add("a", "p", axis(2, 1))
	x.Add("b", "p", axis(2, 0, 1))
	x.Add("b", "q", axis(2, 1))
	if got := x.Search("a", axis(2, 1), 10, nil); !equalIDs(got, "p") {
		t.Fatalf("agent a sees %v", ids(got))
	}
	if got := x.Search("b", axis(2, 0, 1), 10, nil); !equalIDs(got, "p", "q") {
		t.Fatalf("agent b sees %v", ids(got))
	}
	x.RemoveAgent("b")
	if x.Len("b") != 0 || x.Len("a") != 1 {
		t.Fatalf("RemoveAgent: Len(a)=%d Len(b)=%d", x.Len("a"), x.Len("b"))
	}
	if got := x.Search("b", axis(2, 1), 10, nil); len(got) != 0 {
		t.Fatalf("removed agent still searchable: %v", got)
	}
}

func testKeepFilters(t *testing.T, newIndex func(dim int) Index) {
	x := newIndex(2)
	for i := range 10 {
		x.Add("a", fmt.Sprint(i), axis(2, 1, float32(i)))
	}
	even := func(id string) bool { return (id[0]-'0')%2 == 0 }
	got := x.Search("a", axis(2, 1), 3, even)
	if !equalIDs(got, "0", "2", "4") {
		t.Fatalf("keep even: %v", ids(got))
	}
	if got := x.Search("a", axis(2, 1), 3, func(string) bool { return false }); len(got) != 0 {
		t.Fatalf("keep none: %v", ids(got))
	}
}

func testZeroVectorsScoreZero(t *testing.T, newIndex func(dim int) Index) {
	x := newIndex(3)
	x.Add("a", "zero", axis(3))
	x.Add("a", "x", axis(3, 1))
	x.Add("a", "negx", axis(3, -1))
	got := x.Search("a", axis(3, 1), 3, nil)
	if !equalIDs(got, "x", "zero", "negx") || got[1].Score != 0 {
		t.Fatalf("stored zero vector: %v", got)
	}
	for _, r := range x.Search("a", axis(3), 3, nil) {
		if r.Score != 0 {
			t.Fatalf("zero query scored %v", r)
		}
	}
}

func testTiesOrderByID(t *testing.T, newIndex func(dim int) Index) {
	x := newIndex(2)
	for _, id := range []string{"c", "a", "d", "b"} {
		x.Add("a", id, axis(2, 1))
	}
	if got := x.Search("a", axis(2, 1), 3, nil); !equalIDs(got, "a", "b", "c") {
		t.Fatalf("ties: %v", ids(got))
	}
}

func testBadArguments(t *testing.T, newIndex func(dim int) Index) {
	x := newIndex(3)
	x.Add("a", "p", axis(3, 1))
	x.Add("a", "p", []float32{0, 1}) // wrong length: ignored, old vector stays
	x.Add("a", "q", []float32{1, 0, 0, 0})
	if n := x.Len("a"); n != 1 {
		t.Fatalf("Len = %d, want 1", n)
	}
	if got := x.Search("a", axis(3, 1), 1, nil); math.Abs(got[0].Score-1) > tol(x) {
		t.Fatalf("wrong-length Add replaced the vector: %v", got)
	}
	if got := x.Search("a", []float32{1, 0}, 1, nil); got != nil {
		t.Fatalf("wrong-length query: %v", got)
	}
	if got := x.Search("a", axis(3, 1), 0, nil); got != nil {
		t.Fatalf("k=0: %v", got)
	}
	if got := x.Search("a", axis(3, 1), -1, nil); got != nil {
		t.Fatalf("k<0: %v", got)
	}
}

// TestMatchesBruteForce compares the heap and swap-remove bookkeeping with a plain sort.
func testMatchesBruteForce(t *testing.T, newIndex func(dim int) Index) {
	const dim, n = 16, 500
	rng := rand.New(rand.NewPCG(1, 2))
	x := newIndex(dim)
	vecs := map[string][]float32{}
	randVec := func() []float32 {
		v := make([]float32, dim)
		for i := range v {
			v[i] = float32(rng.NormFloat64())
		}
		return v
	}
	for i := range n {
		id := fmt.Sprint("p", i)
		vecs[id] = randVec()
		x.Add("a", id, vecs[id])
	}
	for i := 0; i < n; i += 3 { // remove some, replace others
		id := fmt.Sprint("p", i)
		if i%2 == 0 {
			delete(vecs, id)
			x.Remove("a", id)
		} else {
			vecs[id] = randVec()
			x.Add("a", id, vecs[id])
		}
	}
	checkIndex(t, x)
	keep := func(id string) bool { return len(id)%2 == 0 }
	for range 20 {
		q := randVec()
		var want []Result
		for id, v := range vecs {
			if keep(id) {
				want = append(want, Result{ID: id, Score: heldScore(x, q, v)})
			}
		}
		sort.Slice(want, func(i, j int) bool { return want[i].Score > want[j].Score })
		got := x.Search("a", q, 25, keep)
		if len(got) != 25 {
			t.Fatalf("got %d results, want 25", len(got))
		}
		for i := range got {
			if got[i].ID != want[i].ID || math.Abs(got[i].Score-want[i].Score) > 1e-5 {
				t.Fatalf("rank %d: got %v, want %v", i, got[i], want[i])
			}
		}
	}
}

func cosine(a, b []float32) float64 {
	var d, na, nb float64
	for i := range a {
		d += float64(a[i]) * float64(b[i])
		na += float64(a[i]) * float64(a[i])
		nb += float64(b[i]) * float64(b[i])
	}
	return d / math.Sqrt(na*nb)
}

func TestConcurrentUse(t *testing.T) {
	for _, impl := range impls {
		t.Run(impl.name, func(t *testing.T) { testConcurrentUse(t, impl.new) })
	}
}

func testConcurrentUse(t *testing.T, newIndex func(dim int) Index) {
	x := newIndex(8)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := range 200 {
				id := fmt.Sprint(w, "-", i)
				x.Add("a", id, axis(8, float32(w), float32(i)))
				x.Search("a", axis(8, 1, 1), 5, nil)
				if i%3 == 0 {
					x.Remove("a", id)
				}
				x.Len("a")
			}
		})
	}
	wg.Wait()
	if n := x.Len("a"); n != 4*(200-67) {
		t.Fatalf("Len = %d, want %d", n, 4*(200-67))
	}
}
