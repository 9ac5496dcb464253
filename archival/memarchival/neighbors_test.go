package memarchival_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/memsvc/memsvc/archival"
	"github.com/memsvc/memsvc/archival/memarchival"
)

// TestNeighborsRowsGoneSinceRanked: when rows of the best candidates are gone although the
// memory copy still ranks them (a delete that committed between ranking and reading), Neighbors
// takes the next candidates, beyond the head it ordered first, as Search does.
func TestNeighborsRowsGoneSinceRanked(t *testing.T) {
	ctx := context.Background()
	db := openDB(t, t.TempDir())
	s := newStore(t, db)
	var ps []archival.Passage
	for i := range 40 {
		v := make([]float32, dim)
		v[0], v[1] = 1, float32(i)/20 // cosines to axis 0 fall with i
		ps = append(ps, archival.Passage{ID: fmt.Sprintf("p%02d", i), AgentID: "a", Text: fmt.Sprintf("passage %d", i), Vector: v})
	}
	if err := s.Upsert(ctx, ps); err != nil {
		t.Fatal(err)
	}
	// Gone from the table, not from the memory copy.
	if _, err := memarchival.DB(s).Exec(`DELETE FROM passages WHERE id IN ('p00', 'p01', 'p02', 'p04', 'p05')`); err != nil {
		t.Fatal(err)
	}
	q := make([]float32, dim)
	q[0] = 1
	for _, k := range []int{1, 3, 5} {
		got, err := s.Neighbors(ctx, archival.NeighborQuery{AgentID: "a", Vectors: [][]float32{q}, K: k, MinDense: -1})
		if err != nil {
			t.Fatal(err)
		}
		hits, err := s.Search(ctx, archival.Query{AgentID: "a", Vector: q, K: k})
		if err != nil {
			t.Fatal(err)
		}
		want := archival.NeighborsOf(hits, -1)
		if len(want) != k || !slices.Equal(got[0], want) {
			t.Errorf("k=%d: got %+v, want %+v", k, got[0], want)
		}
	}
}
