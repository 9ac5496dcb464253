package memarchival_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

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

// TestNeighborsConcurrentWrites runs Neighbors while passages are rewritten and deleted (for
// the race detector), then checks that what it answers, cache included, is what Search answers.
func TestNeighborsConcurrentWrites(t *testing.T) {
	ctx := context.Background()
	s := newStore(t, openDB(t, t.TempDir()))
	vec := func(i int) []float32 {
		v := make([]float32, dim)
		v[0], v[1+i%7] = 1, float32(i%5)/4
		return v
	}
	var ps []archival.Passage
	for i := range 200 {
		ps = append(ps, archival.Passage{ID: fmt.Sprintf("p%03d", i), AgentID: "a", Text: fmt.Sprintf("passage %d", i), Vector: vec(i)})
	}
	if err := s.Upsert(ctx, ps); err != nil {
		t.Fatal(err)
	}
	qs := [][]float32{vec(0), vec(3), vec(11)}
	done := make(chan struct{})
	errs := make(chan error, 2)
	go func() {
		defer close(done)
		for i := range 100 {
			p := ps[(i*13)%len(ps)]
			p.Text = fmt.Sprintf("passage %d, version %d", (i*13)%len(ps), i)
			if err := s.Upsert(ctx, []archival.Passage{p}); err != nil {
				errs <- err
				return
			}
			if i%10 == 0 {
				if err := s.Delete(ctx, "a", ps[(i*7)%len(ps)].ID); err != nil && !errors.Is(err, archival.ErrNotFound) {
					errs <- err
					return
				}
			}
		}
	}()
	for running := true; running; {
		select {
		case <-done:
			running = false
		default:
		}
		if _, err := s.Neighbors(ctx, archival.NeighborQuery{AgentID: "a", Vectors: qs, K: 20, MinDense: 0.5}); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case err := <-errs:
		t.Fatal(err)
	default:
	}
	got, err := s.Neighbors(ctx, archival.NeighborQuery{AgentID: "a", Vectors: qs, K: 20, MinDense: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	for i, q := range qs {
		hits, err := s.Search(ctx, archival.Query{AgentID: "a", Vector: q, K: 20})
		if err != nil {
			t.Fatal(err)
		}
		if want := archival.NeighborsOf(hits, 0.5); !slices.Equal(got[i], want) {
			t.Errorf("vector %d: got %+v, want %+v", i, got[i], want)
		}
	}
	if err := memarchival.Consistent(s); err != nil {
		t.Fatal(err)
	}
}

// TestNeighborsTiesPastTheFirstCandidates: the index answers Neighbors only the first 2k
// candidates of each vector at first; when the candidates tied with the k-th go on past them,
// Neighbors asks for the whole list, so that ties are broken as Search breaks them (the newer
// passage first) and not by the index's order (the smaller id first).
func TestNeighborsTiesPastTheFirstCandidates(t *testing.T) {
	ctx := context.Background()
	s := newStore(t, openDB(t, t.TempDir()))
	v := make([]float32, dim)
	v[0], v[1] = 1, 0.5
	var ps []archival.Passage
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 60 {
		ps = append(ps, archival.Passage{ID: fmt.Sprintf("p%02d", i), AgentID: "a", Text: fmt.Sprintf("passage %d", i),
			Vector: v, CreatedAt: t0.Add(time.Duration(i) * time.Minute)})
	}
	if err := s.Upsert(ctx, ps); err != nil {
		t.Fatal(err)
	}
	for _, k := range []int{1, 5, 20} {
		got, err := s.Neighbors(ctx, archival.NeighborQuery{AgentID: "a", Vectors: [][]float32{v}, K: k, MinDense: 0.5})
		if err != nil {
			t.Fatal(err)
		}
		hits, err := s.Search(ctx, archival.Query{AgentID: "a", Vector: v, K: k})
		if err != nil {
			t.Fatal(err)
		}
		want := archival.NeighborsOf(hits, 0.5)
		if len(want) != k || !slices.Equal(got[0], want) {
			t.Errorf("k=%d: got %+v, want %+v", k, got[0], want)
		}
	}
}
