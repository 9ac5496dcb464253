package archivaltest

import (
	"context"
	"fmt"
	"testing"

	"github.com/memsvc/memsvc/archival"
)

// testList checks archival.Lister, for stores that implement it (it skips otherwise): every
// passage of the agent exactly once, with its vector, across pages, and none of another agent's.
func testList(t *testing.T, s archival.Store) {
	l, ok := s.(archival.Lister)
	if !ok {
		t.Skipf("%T does not list passages", s)
	}
	var ps []archival.Passage
	for i := range 7 {
		ps = append(ps, passage("ag_list", fmt.Sprintf("psg_l%d", i), fmt.Sprintf("note %d", i), axis(s, i%s.Dim())))
	}
	upsert(t, s, ps...)
	upsert(t, s, passage("ag_other", "psg_other", "not mine", axis(s, 0)))
	seen := map[string]bool{}
	pages := 0
	for cursor := ""; ; pages++ {
		got, next, err := l.List(context.Background(), "ag_list", cursor, 3)
		if err != nil {
			t.Fatalf("List: %v", err)
		}
		for _, p := range got {
			if p.AgentID != "ag_list" || seen[p.ID] || len(p.Vector) != s.Dim() {
				t.Errorf("List gave %s of %s (seen %v, %d dims)", p.ID, p.AgentID, seen[p.ID], len(p.Vector))
			}
			seen[p.ID] = true
		}
		if next == "" {
			break
		}
		if pages > 10 {
			t.Fatal("List does not end")
		}
		cursor = next
	}
	if len(seen) != len(ps) || pages < 2 {
		t.Errorf("List gave %d of %d passages in %d pages", len(seen), len(ps), pages+1)
	}
}
