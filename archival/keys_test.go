package archival

import (
	"testing"
	"time"
)

func day(d int) time.Time { return time.Date(2025, 1, d, 0, 0, 0, 0, time.UTC) }

func TestResolveKeyIsOrderIndependent(t *testing.T) {
	a := Passage{ID: "a", Key: "alice/city", Status: StatusValid, ValidFrom: day(1), CreatedAt: day(10)}
	b := Passage{ID: "b", Key: "alice/city", Status: StatusValid, ValidFrom: day(5), CreatedAt: day(2)}
	c := Passage{ID: "c", Key: "alice/city", Status: StatusValid, ValidFrom: day(3), CreatedAt: day(20)}
	changed := ResolveKey([]Passage{a, b, c})
	got := map[string]Passage{}
	for _, p := range changed {
		got[p.ID] = p
	}
	if len(changed) != 2 || got["a"].SupersededBy != "c" || got["c"].SupersededBy != "b" {
		t.Fatalf("changed = %+v", changed)
	}
	if !got["a"].ValidTo.Equal(day(3)) || !got["c"].ValidTo.Equal(day(5)) || got["a"].Status != StatusSuperseded {
		t.Fatalf("valid_to must be the next value's valid_from: %+v", changed)
	}
	// Applying the result again changes nothing.
	a, c = got["a"], got["c"]
	if again := ResolveKey([]Passage{c, a, b}); len(again) != 0 {
		t.Fatalf("resolved chain changed again: %+v", again)
	}
	// Invalidating the newest makes the one before it current.
	b.Status = StatusInvalidated
	changed = ResolveKey([]Passage{a, b, c})
	if len(changed) != 1 || changed[0].ID != "c" || changed[0].Status != StatusValid || changed[0].ValidTo != nil {
		t.Fatalf("after invalidating b: %+v", changed)
	}
}

func TestResolveKeyLeavesOutsidersAlone(t *testing.T) {
	x := Passage{ID: "x", Key: "k", Status: StatusSuperseded, SupersededBy: "elsewhere", ValidFrom: day(9)}
	y := Passage{ID: "y", Key: "k", Status: StatusValid, ValidFrom: day(1)}
	if changed := ResolveKey([]Passage{x, y}); len(changed) != 0 {
		t.Fatalf("a passage superseded from outside the key must not join the chain: %+v", changed)
	}
}

func TestDiff(t *testing.T) {
	p := Passage{ID: "p", Status: StatusValid}
	if e, ok := Diff(nil, p, day(1)); !ok || e.Action != ActionCreated || e.ToStatus != StatusValid {
		t.Fatalf("create: %+v", e)
	}
	q := p
	q.Status, q.SupersededBy = StatusSuperseded, "n"
	if e, ok := Diff(&p, q, day(1)); !ok || e.Action != ActionSuperseded || e.FromStatus != StatusValid || e.SupersededBy != "n" {
		t.Fatalf("supersede: %+v", e)
	}
	if e, ok := Diff(&q, p, day(1)); !ok || e.Action != ActionRestored {
		t.Fatalf("restore: %+v", e)
	}
	r := p
	r.PossiblySupersededBy, r.Confidence = "n", 0.7
	if e, ok := Diff(&p, r, day(1)); !ok || e.Action != ActionPossiblySuperseded || e.Confidence != 0.7 {
		t.Fatalf("possible: %+v", e)
	}
	if _, ok := Diff(&p, p, day(1)); ok {
		t.Fatal("an unchanged write records nothing")
	}
}

// A newer value of lower authority does not supersede a user-asserted one; a newer user value
// supersedes both; a supersession confirmed explicitly stays.
func TestResolveKeyRespectsAuthority(t *testing.T) {
	u := Passage{ID: "u", Key: "k", Source: SourceUser, Status: StatusValid, ValidFrom: day(1)}
	tool := Passage{ID: "t", Key: "k", Source: SourceTool, Status: StatusValid, ValidFrom: day(2)}
	if changed := ResolveKey([]Passage{u, tool}); len(changed) != 0 {
		t.Fatalf("a tool value superseded the user's: %+v", changed)
	}
	agent := Passage{ID: "a", Key: "k", Source: SourceAgent, Status: StatusValid, ValidFrom: day(3)}
	changed := ResolveKey([]Passage{agent, u, tool})
	if len(changed) != 1 || changed[0].ID != "t" || changed[0].SupersededBy != "a" {
		t.Fatalf("lower-authority values still chain among themselves: %+v", changed)
	}
	tool = changed[0]
	u2 := Passage{ID: "u2", Key: "k", Source: SourceUser, Status: StatusValid, ValidFrom: day(4)}
	got := map[string]Passage{}
	for _, p := range ResolveKey([]Passage{u, tool, agent, u2}) {
		got[p.ID] = p
	}
	if got["u"].SupersededBy != "u2" || !got["u"].ValidTo.Equal(day(4)) || got["a"].SupersededBy != "u2" || len(got) != 2 {
		t.Fatalf("a newer user value: %+v", got)
	}
	// Confirmed: u superseded by the tool value explicitly stays so, and is stable.
	u.Status, u.SupersededBy = StatusSuperseded, "t"
	vt := day(2)
	u.ValidTo = &vt
	if changed := ResolveKey([]Passage{u, tool, agent}); len(changed) != 0 {
		t.Fatalf("a confirmed supersession was undone: %+v", changed)
	}
}
