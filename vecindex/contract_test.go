package vecindex

import "testing"

// impls are the Index implementations every contract case runs against.
var impls = []struct {
	name string
	new  func(dim int) Index
}{
	{"exact", func(dim int) Index { return NewExact(dim) }},
	// Default HNSW: the contract cases' agents are small, so they take the exact path.
	{"hnsw", func(dim int) Index { return NewHNSW(dim) }},
	// Every agent gets a graph and searches walk it, however small the agent.
	{"hnsw-graph", func(dim int) Index { return newGraphOnly(dim) }},
}

func newGraphOnly(dim int, opts ...HNSWOption) *HNSW {
	h := NewHNSW(dim, append([]HNSWOption{WithExactBelow(0)}, opts...)...)
	h.graphOnly = true
	return h
}

func TestContract(t *testing.T) {
	cases := []struct {
		name string
		run  func(*testing.T, func(int) Index)
	}{
		{"SearchOrdersByCosine", testSearchOrdersByCosine},
		{"ScoresStayInRange", testScoresStayInRange},
		{"AddReplacesAndCopies", testAddReplacesAndCopies},
		{"RemoveSwapsLast", testRemoveSwapsLast},
		{"AgentsAreIsolated", testAgentsAreIsolated},
		{"KeepFilters", testKeepFilters},
		{"ZeroVectorsScoreZero", testZeroVectorsScoreZero},
		{"TiesOrderByID", testTiesOrderByID},
		{"BadArguments", testBadArguments},
		{"MatchesBruteForce", testMatchesBruteForce},
	}
	for _, impl := range impls {
		for _, c := range cases {
			t.Run(impl.name+"/"+c.name, func(t *testing.T) { c.run(t, impl.new) })
		}
	}
}

// checkHNSW asserts the bookkeeping of every agent: ids, positions, tombstones, vectors and
// neighbour lists agree.
func checkHNSW(t *testing.T, h *HNSW) {
	t.Helper()
	h.mu.RLock()
	defer h.mu.RUnlock()
	for agent, a := range h.agents {
		a.mu.RLock()
		n := len(a.ids)
		if len(a.hidden) != n {
			t.Fatalf("agent %s: %d hidden flags for %d slots", agent, len(a.hidden), n)
		}
		if a.live() == 0 || len(a.vecs) != n*h.dim {
			t.Fatalf("agent %s: %d live, %d slots, %d floats", agent, a.live(), n, len(a.vecs))
		}
		for id, i := range a.pos {
			if a.ids[i] != id || (a.graph && a.dead[i]) {
				t.Fatalf("agent %s: id %s at slot %d holds %q", agent, id, i, a.ids[i])
			}
		}
		if !a.graph {
			if len(a.pos) != n || a.dead != nil || a.links0 != nil {
				t.Fatalf("agent %s without graph: %d ids, %d slots", agent, len(a.pos), n)
			}
			a.mu.RUnlock()
			continue
		}
		ndead := 0
		for _, d := range a.dead {
			if d {
				ndead++
			}
		}
		if len(a.dead) != n || ndead != a.ndead || a.live()+ndead != n ||
			len(a.links0) != n*(h.m0+1) || len(a.upper) != n {
			t.Fatalf("agent %s: %d live, %d dead (counted %d), %d slots", agent, a.live(), a.ndead, ndead, n)
		}
		if a.linked < 0 || int(a.linked) > n {
			t.Fatalf("agent %s: %d of %d slots linked", agent, a.linked, n)
		}
		if a.entry >= a.linked || (a.entry >= 0 && len(a.upper[a.entry]) != a.top*(h.cfg.M+1)) {
			t.Fatalf("agent %s: entry %d at level %d, %d linked", agent, a.entry, a.top, a.linked)
		}
		for i := range int32(n) {
			lv := len(a.upper[i]) / (h.cfg.M + 1)
			for l := 0; l <= lv; l++ {
				nb := h.neighbours(a, i, l)
				if nb[0] < 0 || int(nb[0]) > len(nb)-1 || (i >= a.linked && nb[0] != 0) {
					t.Fatalf("agent %s: slot %d layer %d: count %d", agent, i, l, nb[0])
				}
				for _, j := range nb[1 : 1+nb[0]] {
					if j == i || j < 0 || j >= a.linked || len(a.upper[j])/(h.cfg.M+1) < l {
						t.Fatalf("agent %s: slot %d layer %d links to %d", agent, i, l, j)
					}
				}
			}
		}
		a.mu.RUnlock()
	}
}
