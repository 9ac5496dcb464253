package archivaltest

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/memsvc/memsvc/archival"
)

func testIdempotentUpsert(t *testing.T, s archival.Store) {
	upsert(t, s, passage("a", "p1", "the quick brown fox", axis(s, 0)))
	updated := passage("a", "p1", "a lazy purple elephant", axis(s, 1))
	upsert(t, s, updated)
	upsert(t, s, updated)
	wantCount(t, s, "a", 1)

	p, err := s.Get(context.Background(), "a", "p1")
	if err != nil {
		t.Fatal(err)
	}
	if p.Text != updated.Text || !reflect.DeepEqual(p.Vector, updated.Vector) {
		t.Fatalf("Get after re-upsert = %q %v, want the new text and vector", p.Text, p.Vector[:2])
	}
	wantIDs(t, search(t, s, archival.Query{AgentID: "a", Text: "elephant", K: 10}), "p1")
	wantIDs(t, search(t, s, archival.Query{AgentID: "a", Text: "fox", K: 10}))
	hits := search(t, s, archival.Query{AgentID: "a", Vector: axis(s, 1), K: 10})
	wantIDs(t, hits, "p1")
	if hits[0].Dense < 0.999 {
		t.Fatalf("dense score %v: the old vector is still indexed", hits[0].Dense)
	}
}

func testGetDelete(t *testing.T, s archival.Store) {
	ctx := context.Background()
	a := passage("a", "pa", "walrus tusks are ivory", vec(s, 1, 0.25, -0.5))
	b := passage("a", "pb", "penguins cannot fly", axis(s, 1))
	upsert(t, s, a, b)

	got, err := s.Get(ctx, "a", "pa")
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != a.ID || got.AgentID != a.AgentID || got.Text != a.Text || !reflect.DeepEqual(got.Vector, a.Vector) {
		t.Fatalf("Get = %+v, want %+v", got, a)
	}
	if err := s.Delete(ctx, "a", "pa"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	_, err = s.Get(ctx, "a", "pa")
	wantErr(t, "Get after Delete", err, archival.ErrNotFound)
	wantErr(t, "second Delete", s.Delete(ctx, "a", "pa"), archival.ErrNotFound)
	wantCount(t, s, "a", 1)
	wantIDs(t, search(t, s, archival.Query{AgentID: "a", Text: "walrus", K: 10}))
	wantIDs(t, search(t, s, archival.Query{AgentID: "a", Vector: a.Vector, K: 10}), "pb")
	if _, err := s.Get(ctx, "a", "pb"); err != nil {
		t.Fatalf("Get of the other passage: %v", err)
	}
}

func testNotFound(t *testing.T, s archival.Store) {
	ctx := context.Background()
	_, err := s.Get(ctx, "a", "nope")
	wantErr(t, "Get unknown", err, archival.ErrNotFound)
	wantErr(t, "Delete unknown", s.Delete(ctx, "a", "nope"), archival.ErrNotFound)

	upsert(t, s, passage("b", "theirs", "belongs to agent b", axis(s, 0)))
	_, err = s.Get(ctx, "a", "theirs")
	wantErr(t, "Get of another agent's passage", err, archival.ErrNotFound)
	wantErr(t, "Delete of another agent's passage", s.Delete(ctx, "a", "theirs"), archival.ErrNotFound)
	wantCount(t, s, "b", 1)
}

func testCountDeleteAgent(t *testing.T, s archival.Store) {
	ctx := context.Background()
	wantCount(t, s, "a", 0)
	upsert(t, s,
		passage("a", "a1", "first note", axis(s, 0)),
		passage("a", "a2", "second note", axis(s, 1)),
		passage("a", "a3", "third note", axis(s, 2)),
		passage("b", "b1", "first note", axis(s, 0)),
		passage("b", "b2", "second note", axis(s, 1)),
	)
	wantCount(t, s, "a", 3)
	wantCount(t, s, "b", 2)

	if err := s.DeleteAgent(ctx, "a"); err != nil {
		t.Fatalf("DeleteAgent: %v", err)
	}
	wantCount(t, s, "a", 0)
	wantCount(t, s, "b", 2)
	_, err := s.Get(ctx, "a", "a1")
	wantErr(t, "Get after DeleteAgent", err, archival.ErrNotFound)
	wantIDs(t, search(t, s, archival.Query{AgentID: "a", Text: "note", Vector: axis(s, 0), K: 10}))
	if err := s.DeleteAgent(ctx, "a"); err != nil {
		t.Fatalf("DeleteAgent of an agent with no passages: %v", err)
	}
	if err := s.DeleteAgent(ctx, "never-seen"); err != nil {
		t.Fatalf("DeleteAgent of an unknown agent: %v", err)
	}
	upsert(t, s, passage("a", "a1", "back again", axis(s, 0)))
	wantCount(t, s, "a", 1)
	wantIDs(t, search(t, s, archival.Query{AgentID: "a", Vector: axis(s, 0), K: 10}), "a1")
}

// fullPassage sets every field. Times carry microseconds (not nanoseconds) and a non-UTC zone:
// every backend must keep the instant to the microsecond.
func fullPassage(s archival.Store) archival.Passage {
	zone := time.FixedZone("UTC+5:30", 5*3600+1800)
	validTo := time.Date(2024, 6, 1, 8, 30, 0, 654_321_000, zone)
	return archival.Passage{
		ID:           "full",
		AgentID:      "a",
		Text:         "alice moved from paris to lyon",
		Context:      "asked about her commute ☕",
		Vector:       vec(s, 0.5, -0.25, 0.125, 1),
		CreatedAt:    time.Date(2024, 5, 2, 10, 0, 0, 123_456_000, zone),
		ValidFrom:    time.Date(2024, 1, 15, 0, 0, 0, 1_000, zone),
		ValidTo:      &validTo,
		Status:       archival.StatusSuperseded,
		Supersedes:   "older",
		SupersededBy: "newer",
		Key:          "alice/city",
		Source:       archival.SourceUser,
		Tags:         []string{"home", "city", "alice"},
		Metadata: map[string]any{
			"reason": "moved", "confidence": 0.75, "nested": map[string]any{"k": "v"},
			"list": []any{float64(1), "two", true, nil},
		},
	}
}

// samePassage fails unless got and want agree on every field (times as instants).
func samePassage(t *testing.T, what string, got, want archival.Passage) {
	t.Helper()
	if got.ID != want.ID || got.AgentID != want.AgentID || got.Text != want.Text || got.Context != want.Context ||
		got.Status != want.Status || got.Supersedes != want.Supersedes ||
		got.SupersededBy != want.SupersededBy || got.Key != want.Key || got.Source != want.Source {
		t.Errorf("%s: scalar fields differ:\n got %+v\nwant %+v", what, got, want)
	}
	if !got.CreatedAt.Equal(want.CreatedAt) || !got.ValidFrom.Equal(want.ValidFrom) {
		t.Errorf("%s: created_at %v valid_from %v, want %v %v", what, got.CreatedAt, got.ValidFrom, want.CreatedAt, want.ValidFrom)
	}
	if (got.ValidTo == nil) != (want.ValidTo == nil) || (got.ValidTo != nil && !got.ValidTo.Equal(*want.ValidTo)) {
		t.Errorf("%s: valid_to %v, want %v", what, got.ValidTo, want.ValidTo)
	}
	if !reflect.DeepEqual(got.Tags, want.Tags) {
		t.Errorf("%s: tags %q, want %q", what, got.Tags, want.Tags)
	}
	if !reflect.DeepEqual(got.Metadata, want.Metadata) {
		t.Errorf("%s: metadata %#v, want %#v", what, got.Metadata, want.Metadata)
	}
}

func testValidityFields(t *testing.T, s archival.Store) {
	ctx := context.Background()
	want := fullPassage(s)
	upsert(t, s, want)
	got, err := s.Get(ctx, "a", "full")
	if err != nil {
		t.Fatal(err)
	}
	samePassage(t, "Get", got, want)
	if !reflect.DeepEqual(got.Vector, want.Vector) {
		t.Errorf("vector %v, want %v", got.Vector[:4], want.Vector[:4])
	}

	hits := search(t, s, archival.Query{AgentID: "a", Text: "lyon", Vector: want.Vector, K: 5, IncludeInvalid: true})
	wantIDs(t, hits, "full")
	samePassage(t, "Search hit", hits[0].Passage, want)
	// The context's words are searched with the text's.
	wantIDs(t, search(t, s, archival.Query{AgentID: "a", Text: "commute", K: 5, IncludeInvalid: true}), "full")
	// A new context alone re-indexes the passage's words.
	moved := want
	moved.Context = "asked about her bicycle"
	upsert(t, s, moved)
	wantIDs(t, search(t, s, archival.Query{AgentID: "a", Text: "commute", K: 5, IncludeInvalid: true}))
	wantIDs(t, search(t, s, archival.Query{AgentID: "a", Text: "bicycle", K: 5, IncludeInvalid: true}), "full")
	upsert(t, s, want)

	// Every status and source round-trips.
	var ps []archival.Passage
	for i, st := range []archival.Status{archival.StatusValid, archival.StatusSuperseded, archival.StatusInvalidated, archival.StatusExpired} {
		for j, src := range []archival.Source{archival.SourceUser, archival.SourceAgent, archival.SourceTool, archival.SourceCompaction, archival.SourceImport} {
			p := passage("a", string(st)+"-"+string(src), "status and source", axis(s, (i+j)%s.Dim()))
			p.Status, p.Source = st, src
			ps = append(ps, p)
		}
	}
	upsert(t, s, ps...)
	for _, p := range ps {
		got, err := s.Get(ctx, "a", p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != p.Status || got.Source != p.Source {
			t.Errorf("%s: status %q source %q", p.ID, got.Status, got.Source)
		}
	}
}

func testDefaults(t *testing.T, s archival.Store) {
	before := time.Now().Add(-time.Second)
	upsert(t, s, passage("a", "bare", "only the required fields", axis(s, 0)))
	after := time.Now().Add(time.Second)

	p, err := s.Get(context.Background(), "a", "bare")
	if err != nil {
		t.Fatal(err)
	}
	if p.CreatedAt.Before(before) || p.CreatedAt.After(after) {
		t.Errorf("created_at %v, want about now", p.CreatedAt)
	}
	if !p.ValidFrom.Equal(p.CreatedAt) {
		t.Errorf("valid_from %v, want created_at %v", p.ValidFrom, p.CreatedAt)
	}
	if p.ValidTo != nil {
		t.Errorf("valid_to %v, want nil", p.ValidTo)
	}
	if p.Status != archival.StatusValid || p.Source != archival.SourceAgent {
		t.Errorf("status %q source %q, want valid agent", p.Status, p.Source)
	}
	if p.Tags == nil || len(p.Tags) != 0 {
		t.Errorf("tags %#v, want an empty non-nil slice", p.Tags)
	}
	if len(p.Metadata) != 0 {
		t.Errorf("metadata %v, want none", p.Metadata)
	}
}
