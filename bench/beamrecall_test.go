package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/memsvc/memsvc/state"
)

// The pager variant appends a chat's messages to an agent and asks the probes of recall search:
// the updated statement and both sides of a contradiction are found among filler messages, and
// the contradiction is marked.
func TestBeamRecallVariant(t *testing.T) {
	topics := []string{"the garden", "my bike", "a novel", "the kitchen tiles", "a film", "the dentist", "a recipe", "the train"}
	var msgs []map[string]any
	for i := range 40 {
		m := map[string]any{"id": i, "content": fmt.Sprintf("Can you give me some advice about %s? ->-> 1,%d", topics[i%len(topics)], i)}
		switch i {
		case 0:
			m["time_anchor"] = "March-01-2024"
		case 20:
			m["time_anchor"] = "April-15-2024"
		case 3:
			m["content"] = "Our staging database runs PostgreSQL 13 on a single node."
		case 5:
			m["content"] = "I have never deployed anything with Kubernetes."
		case 25:
			m["content"] = "We upgraded the staging database to PostgreSQL 16 last week."
		case 27:
			m["content"] = "I deployed the billing API with Kubernetes yesterday."
		}
		msgs = append(msgs, m)
	}
	chat := []map[string]any{{"chat": "t1", "messages": msgs,
		"knowledge_update":         []map[string]any{{"question": "Which PostgreSQL version does the staging database run?", "answer": "16", "original_ids": []int{3}, "updated_ids": []int{25}}},
		"contradiction_resolution": []map[string]any{{"question": "Have I deployed anything with Kubernetes?", "first_ids": []int{5}, "second_ids": []int{27}}},
	}}
	b, _ := json.Marshal(chat)
	path := filepath.Join(t.TempDir(), "beam.json")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	chats, err := LoadBeam(path)
	if err != nil {
		t.Fatal(err)
	}
	c := testCommon(t)
	c.Modes = []Mode{ModeBM25}
	res, err := RunBeam(state.WithTenant(context.Background(), state.DefaultTenant), BeamConfig{Common: c, Path: path, Data: chats, Recall: true})
	if err != nil {
		t.Fatal(err)
	}
	r := res.Recall
	if r == nil || r.Updated10 != 1 || r.Both10 != 1 || r.Marked10 != 1 {
		t.Fatalf("recall figures %+v", r)
	}
	if a := res.Modes[ModeBM25]; a.Updated10 != 1 || a.Both10 != 1 {
		t.Fatalf("archival bm25 figures %+v", a)
	}
	m := decode(t, res)
	if _, ok := m["recall"]; !ok {
		t.Fatalf("JSON without recall: %v", m)
	}
}
