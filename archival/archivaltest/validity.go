package archivaltest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/memsvc/memsvc/archival"
)

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func get(t *testing.T, s archival.Store, agent, id string) archival.Passage {
	t.Helper()
	p, err := s.Get(context.Background(), agent, id)
	if err != nil {
		t.Fatalf("get %s: %v", id, err)
	}
	return p
}

func history(t *testing.T, s archival.Store, agent, id string) []archival.Event {
	t.Helper()
	h, err := s.History(context.Background(), agent, id)
	if err != nil {
		t.Fatalf("history %s: %v", id, err)
	}
	return h
}

func actions(h []archival.Event) []string {
	out := make([]string, len(h))
	for i, e := range h {
		out[i] = e.Action
	}
	return out
}

// testKeyChain inserts the values of one key out of order: whatever the arrival order, only the
// latest valid_from stays valid, and each earlier value is superseded by the next.
func testKeyChain(t *testing.T, s archival.Store) {
	mk := func(id string, when time.Time) archival.Passage {
		p := passage("a", id, "Alice lives in "+id, axis(s, 0))
		p.Key, p.ValidFrom = "alice/city", when
		return p
	}
	upsert(t, s, mk("berlin", date(2025, 6, 1)))
	upsert(t, s, mk("paris", date(2024, 3, 1))) // arrives late, happened earlier
	upsert(t, s, mk("rome", date(2024, 9, 1)))
	other := passage("a", "bobcity", "Bob lives in Lisbon", axis(s, 1))
	other.Key = "bob/city"
	upsert(t, s, other)

	paris, rome, berlin := get(t, s, "a", "paris"), get(t, s, "a", "rome"), get(t, s, "a", "berlin")
	if berlin.Status != archival.StatusValid || berlin.ValidTo != nil {
		t.Fatalf("the latest value must be valid and open: %+v", berlin)
	}
	if paris.Status != archival.StatusSuperseded || paris.SupersededBy != "rome" || paris.ValidTo == nil || !paris.ValidTo.Equal(date(2024, 9, 1)) {
		t.Fatalf("paris: %+v, want superseded by rome until 2024-09-01", paris)
	}
	if rome.Status != archival.StatusSuperseded || rome.SupersededBy != "berlin" || !rome.ValidTo.Equal(date(2025, 6, 1)) {
		t.Fatalf("rome: %+v, want superseded by berlin until 2025-06-01", rome)
	}
	if b := get(t, s, "a", "bobcity"); b.Status != archival.StatusValid {
		t.Fatalf("another key is untouched: %+v", b)
	}
	wantIDs(t, search(t, s, archival.Query{AgentID: "a", Text: "Alice lives", K: 1}), "berlin")
	asOf := date(2024, 12, 31)
	wantIDs(t, search(t, s, archival.Query{AgentID: "a", Text: "Alice lives", K: 1, AsOf: &asOf}), "rome")

	// Invalidating the newest value makes the one before it current again.
	berlin.Status, berlin.Cause = archival.StatusInvalidated, "wrong city"
	upsert(t, s, berlin)
	if rome = get(t, s, "a", "rome"); rome.Status != archival.StatusValid || rome.ValidTo != nil || rome.SupersededBy != "" {
		t.Fatalf("after invalidating berlin, rome: %+v", rome)
	}
	h := history(t, s, "a", "rome")
	want := []string{archival.ActionCreated, archival.ActionSuperseded, archival.ActionRestored}
	if len(h) != len(want) {
		t.Fatalf("rome's history: %v, want %v", actions(h), want)
	}
	for i := range want {
		if h[i].Action != want[i] {
			t.Fatalf("rome's history: %v, want %v", actions(h), want)
		}
	}
	if h[1].SupersededBy != "berlin" || h[1].Cause == "" || h[1].FromStatus != archival.StatusValid {
		t.Fatalf("the supersession event says by whom and why: %+v", h[1])
	}
	hb := history(t, s, "a", "berlin")
	if last := hb[len(hb)-1]; last.Action != archival.ActionInvalidated || last.Cause != "wrong city" {
		t.Fatalf("berlin's last event: %+v", last)
	}
}

// testHistory checks creation, explicit changes, possible supersession and deletion.
func testHistory(t *testing.T, s archival.Store) {
	p := passage("a", "p", "Alice likes tea", axis(s, 0))
	p.Cause = "inserted by the user"
	upsert(t, s, p)
	h := history(t, s, "a", "p")
	if len(h) != 1 || h[0].Action != archival.ActionCreated || h[0].ToStatus != archival.StatusValid ||
		h[0].Cause != "inserted by the user" || h[0].At.IsZero() {
		t.Fatalf("creation event: %+v", h)
	}
	// A rewrite that changes no validity field records nothing.
	p.Text, p.Cause = "Alice likes green tea", ""
	upsert(t, s, p)
	if h = history(t, s, "a", "p"); len(h) != 1 {
		t.Fatalf("a text edit is not a validity change: %v", actions(h))
	}
	p.PossiblySupersededBy, p.Confidence = "q", 0.7
	upsert(t, s, p)
	got := get(t, s, "a", "p")
	if got.PossiblySupersededBy != "q" || got.Confidence < 0.69 || got.Status != archival.StatusValid {
		t.Fatalf("possibly superseded round trip: %+v", got)
	}
	h = history(t, s, "a", "p")
	if len(h) != 2 || h[1].Action != archival.ActionPossiblySuperseded || h[1].SupersededBy != "q" {
		t.Fatalf("possible supersession event: %+v", h)
	}
	p.Status, p.SupersededBy = archival.StatusSuperseded, "q"
	upsert(t, s, p)
	p.Status, p.SupersededBy, p.Cause = archival.StatusValid, "", "undo"
	upsert(t, s, p)
	h = history(t, s, "a", "p")
	if got := actions(h); len(got) != 4 || got[2] != archival.ActionSuperseded || got[3] != archival.ActionRestored || h[3].Cause != "undo" {
		t.Fatalf("history after supersede and restore: %v", got)
	}
	for i := 1; i < len(h); i++ {
		if h[i].Seq <= h[i-1].Seq {
			t.Fatalf("events must come oldest first: %+v", h)
		}
	}
	if _, err := s.History(context.Background(), "b", "p"); !errors.Is(err, archival.ErrNotFound) {
		t.Fatalf("another agent's history: %v, want ErrNotFound", err)
	}
	if err := s.Delete(context.Background(), "a", "p"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.History(context.Background(), "a", "p"); !errors.Is(err, archival.ErrNotFound) {
		t.Fatalf("a deleted passage's history: %v, want ErrNotFound", err)
	}
	// Hits carry their vectors (scoring groups competing memories by them).
	upsert(t, s, passage("a", "v", "vectors come back", axis(s, 2)))
	hits := search(t, s, archival.Query{AgentID: "a", Text: "vectors", Vector: axis(s, 2), K: 1})
	if len(hits) != 1 || len(hits[0].Passage.Vector) != s.Dim() || hits[0].Passage.Vector[2] < 0.99 {
		t.Fatalf("hit vector: %+v", hits)
	}
}
