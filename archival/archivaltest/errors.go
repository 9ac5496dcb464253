package archivaltest

import (
	"context"
	"testing"

	"github.com/memsvc/memsvc/archival"
)

func testDimensionMismatch(t *testing.T, s archival.Store) {
	ctx := context.Background()
	for _, n := range []int{0, 1, s.Dim() - 1, s.Dim() + 1} {
		p := passage("a", "p", "some text", make([]float32, n))
		if n > 0 {
			p.Vector[0] = 1
		}
		wantErr(t, "Upsert with a short or long vector", s.Upsert(ctx, []archival.Passage{p}), archival.ErrDimensionMismatch)
	}
	wantCount(t, s, "a", 0)

	upsert(t, s, passage("a", "p", "some text", axis(s, 0)))
	for _, n := range []int{1, s.Dim() - 1, s.Dim() + 1} {
		_, err := s.Search(ctx, archival.Query{AgentID: "a", Text: "text", Vector: make([]float32, n), K: 5})
		wantErr(t, "Search with a wrong-length vector", err, archival.ErrDimensionMismatch)
	}
	// No vector at all is a lexical-only search, not a mismatch.
	wantIDs(t, search(t, s, archival.Query{AgentID: "a", Text: "text", K: 5}), "p")
}

func testInvalid(t *testing.T, s archival.Store) {
	ctx := context.Background()
	good := passage("a", "p", "some text", axis(s, 0))
	bad := map[string]func(p *archival.Passage){
		"empty id":       func(p *archival.Passage) { p.ID = "" },
		"empty agent":    func(p *archival.Passage) { p.AgentID = "" },
		"empty text":     func(p *archival.Passage) { p.Text = "" },
		"unknown status": func(p *archival.Passage) { p.Status = "bogus" },
		"unknown source": func(p *archival.Passage) { p.Source = "bogus" },
	}
	for name, mutate := range bad {
		p := good
		mutate(&p)
		wantErr(t, "Upsert with "+name, s.Upsert(ctx, []archival.Passage{p}), archival.ErrInvalid)
	}
	wantCount(t, s, "a", 0)
	wantCount(t, s, "", 0)

	queries := map[string]archival.Query{
		"empty agent": {Text: "text", K: 5},
		"k = 0":       {AgentID: "a", Text: "text"},
		"k < 0":       {AgentID: "a", Text: "text", K: -1},
	}
	for name, q := range queries {
		_, err := s.Search(ctx, q)
		wantErr(t, "Search with "+name, err, archival.ErrInvalid)
	}
}

func testFailedBatch(t *testing.T, s archival.Store) {
	ctx := context.Background()
	upsert(t, s, passage("a", "keep", "original text about giraffes", axis(s, 0)))

	wrongDim := passage("a", "bad", "wrong dimension", make([]float32, s.Dim()+1))
	badStatus := passage("a", "bad", "bad status", axis(s, 2))
	badStatus.Status = "bogus"
	for name, bad := range map[string]struct {
		p      archival.Passage
		target error
	}{
		"dimension mismatch": {wrongDim, archival.ErrDimensionMismatch},
		"invalid status":     {badStatus, archival.ErrInvalid},
	} {
		batch := []archival.Passage{
			passage("a", "new1", "a brand new passage about otters", axis(s, 1)),
			passage("a", "keep", "replacement text about walruses", axis(s, 1)),
			bad.p,
		}
		wantErr(t, "Upsert of a batch with "+name, s.Upsert(ctx, batch), bad.target)
	}

	wantCount(t, s, "a", 1)
	_, err := s.Get(ctx, "a", "new1")
	wantErr(t, "Get of a passage from the failed batch", err, archival.ErrNotFound)
	p, err := s.Get(ctx, "a", "keep")
	if err != nil {
		t.Fatal(err)
	}
	if p.Text != "original text about giraffes" {
		t.Fatalf("failed batch changed an existing passage: %q", p.Text)
	}
	wantIDs(t, search(t, s, archival.Query{AgentID: "a", Text: "walruses otters", K: 5}))
	wantIDs(t, search(t, s, archival.Query{AgentID: "a", Text: "giraffes", K: 5}), "keep")
	hits := search(t, s, archival.Query{AgentID: "a", Vector: axis(s, 0), K: 5})
	if wantIDs(t, hits, "keep"); hits[0].Dense < 0.999 {
		t.Fatalf("failed batch changed the indexed vector: dense %v", hits[0].Dense)
	}
}

func testCancellation(t *testing.T, s archival.Store) {
	upsert(t, s, passage("a", "seed", "a passage about cancellation", axis(s, 0)))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()

	err := s.Upsert(ctx, []archival.Passage{passage("a", "late", "never stored", axis(s, 1))})
	wantErr(t, "Upsert", err, context.Canceled)
	for name, q := range map[string]archival.Query{
		"lexical": {AgentID: "a", Text: "cancellation", K: 5},
		"dense":   {AgentID: "a", Vector: axis(s, 0), K: 5},
		"hybrid":  {AgentID: "a", Text: "cancellation", Vector: axis(s, 0), K: 5},
	} {
		_, err := s.Search(ctx, q)
		wantErr(t, name+" Search", err, context.Canceled)
	}
	_, err = s.Get(ctx, "a", "seed")
	wantErr(t, "Get", err, context.Canceled)
	_, err = s.Count(ctx, "a")
	wantErr(t, "Count", err, context.Canceled)
	wantErr(t, "Delete", s.Delete(ctx, "a", "seed"), context.Canceled)
	wantErr(t, "DeleteAgent", s.DeleteAgent(ctx, "a"), context.Canceled)

	wantCount(t, s, "a", 1)
	if _, err := s.Get(context.Background(), "a", "seed"); err != nil {
		t.Fatalf("cancelled calls changed the store: %v", err)
	}
}
