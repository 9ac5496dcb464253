package memarchival_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/memsvc/memsvc/archival"
	"github.com/memsvc/memsvc/archival/memarchival"
	"github.com/memsvc/memsvc/vecindex"
)

// TestLargeAgentSearchesItsGraph: an agent past the index's exact-scan size is searched through
// its graph, built as it is written (each write links its own vectors) and rebuilt on reopen:
// every stored vector finds its own passage first, Neighbors answers as Search does, deletions
// and replacements are seen at once, and the memory copy stays in step with the table.
func TestLargeAgentSearchesItsGraph(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db := openDB(t, dir)
	opts := []vecindex.HNSWOption{vecindex.WithExactBelow(100), vecindex.WithM(8), vecindex.WithEfConstruction(48), vecindex.WithEfSearch(48)}
	// At this dimension a search of width 100 costs about as much as a scan of 1,000 vectors,
	// so the agent's searches walk its graph.
	const dim = 3000
	s, err := memarchival.NewWithIndex(ctx, db, dim, opts...)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	vecs := make([][]float32, 1200)
	for lo := 0; lo < len(vecs); lo += 300 {
		var ps []archival.Passage
		for i := lo; i < lo+300; i++ {
			v := make([]float32, dim)
			for j := range v {
				v[j] = float32(rng.NormFloat64())
			}
			vecs[i] = v
			ps = append(ps, archival.Passage{ID: fmt.Sprintf("p%04d", i), AgentID: "a", Text: fmt.Sprintf("passage %d", i), Vector: v})
		}
		if err := s.Upsert(ctx, ps); err != nil {
			t.Fatal(err)
		}
	}
	check := func(s *memarchival.Store, gone map[int]bool) {
		t.Helper()
		if st := memarchival.IndexStats(s, "a"); !st.Graph || st.Unlinked != 0 {
			t.Fatalf("index state %+v, want a graph with every vector linked", st)
		}
		var qs [][]float32
		for i := 0; i < len(vecs); i += 37 {
			qs = append(qs, vecs[i])
		}
		many, err := s.Neighbors(ctx, archival.NeighborQuery{AgentID: "a", Vectors: qs, K: 5, MinDense: -1})
		if err != nil {
			t.Fatal(err)
		}
		for n, i := 0, 0; i < len(vecs); n, i = n+1, i+37 {
			hits, err := s.Search(ctx, archival.Query{AgentID: "a", Vector: vecs[i], K: 5})
			if err != nil {
				t.Fatal(err)
			}
			want := fmt.Sprintf("p%04d", i)
			if gone[i] {
				if slices.ContainsFunc(hits, func(h archival.Hit) bool { return h.Passage.ID == want }) {
					t.Fatalf("deleted %s still found", want)
				}
			} else if len(hits) == 0 || hits[0].Passage.ID != want || hits[0].Dense < 0.999 {
				t.Fatalf("search for %s: %v", want, hits)
			}
			var got []string
			for _, nb := range many[n] {
				got = append(got, nb.ID)
			}
			var ids []string
			for _, h := range hits {
				ids = append(ids, h.Passage.ID)
			}
			if !slices.Equal(got, ids) {
				t.Fatalf("query %d: Neighbors %v, Search %v", i, got, ids)
			}
		}
		if err := memarchival.Consistent(s); err != nil {
			t.Fatal(err)
		}
	}
	check(s, nil)
	gone := map[int]bool{}
	for i := 0; i < len(vecs); i += 74 {
		if err := s.Delete(ctx, "a", fmt.Sprintf("p%04d", i)); err != nil {
			t.Fatal(err)
		}
		gone[i] = true
	}
	// Rewriting a passage with its own vector (a new text) keeps it findable.
	if err := s.Upsert(ctx, []archival.Passage{{ID: "p0037", AgentID: "a", Text: "rewritten", Vector: vecs[37]}}); err != nil {
		t.Fatal(err)
	}
	check(s, gone)
	reopened, err := memarchival.NewWithIndex(ctx, db, dim, opts...)
	if err != nil {
		t.Fatal(err)
	}
	// Reopened, the graph is linked in the background; searches scan until it is done.
	for memarchival.IndexStats(reopened, "a").Unlinked > 0 {
		time.Sleep(time.Millisecond)
	}
	check(reopened, gone)
}
