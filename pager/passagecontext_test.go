package pager

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/memsvc/memsvc/archival"
	"github.com/memsvc/memsvc/state"
)

// TestAContextSituatesAPassage: a passage's context makes it found by what it means where it
// stands (two passages that say "Yes, every Sunday since May." are told apart by the questions
// they answer, by meaning and by their words), and it is kept beside the text, not in it. A
// context too large or not text is refused and nothing is stored.
func TestAContextSituatesAPassage(t *testing.T) { bothStores(t, testContextSituatesAPassage) }

func testContextSituatesAPassage(t *testing.T, svc *Service) {
	ctx := state.WithTenant(context.Background(), state.DefaultTenant)
	a := createAgent(t, svc, 8000)
	choir, err := svc.InsertPassage(ctx, a.ID, PassageInput{Text: "Yes, every Sunday since May.",
		Context: "  Do you still sing in the church choir?  "})
	if err != nil {
		t.Fatal(err)
	}
	if choir.Text != "Yes, every Sunday since May." || choir.Context != "Do you still sing in the church choir?" {
		t.Fatalf("stored text %q context %q", choir.Text, choir.Context)
	}
	fishing, err := svc.InsertPassage(ctx, a.ID, PassageInput{Text: "Yes, every Sunday since May.",
		Context: "Do you still go fishing on the lake with your father?"})
	if err != nil {
		t.Fatal(err)
	}
	got, err := svc.GetPassage(ctx, a.ID, choir.ID)
	if err != nil || got.Context != choir.Context {
		t.Fatalf("GetPassage: context %q, %v", got.Context, err)
	}

	// The same text, told apart by what each answers.
	for _, c := range []struct{ query, want string }{
		{"singing in a choir", choir.ID},
		{"fishing trips with dad", fishing.ID},
	} {
		hits, err := svc.SearchArchival(ctx, a.ID, ArchivalQuery{Query: c.query, K: 2, Mode: ModeDense})
		if err != nil {
			t.Fatal(err)
		}
		if len(hits) != 2 || hits[0].Passage.ID != c.want || hits[0].Scores.Relevance <= hits[1].Scores.Relevance {
			t.Fatalf("dense search for %q: %d hits, want %s first, above the other", c.query, len(hits), c.want)
		}
	}
	hits, err := svc.SearchArchival(ctx, a.ID, ArchivalQuery{Query: "choir", K: 5, Mode: ModeLexical})
	if err != nil {
		t.Fatal(err)
	}
	if len(hits) != 1 || hits[0].Passage.ID != choir.ID || hits[0].Passage.Text != "Yes, every Sunday since May." {
		t.Fatalf("lexical search for a word of one context: %v, want that passage alone, its text as stored", hitTexts(hits))
	}

	for _, in := range []PassageInput{
		{Text: "fine", Context: strings.Repeat("x", MaxContextBytes+1)},
		{Text: "fine", Context: "nul\x00byte"},
		{Text: "fine", Context: "\xff\xfe"},
	} {
		_, err := svc.InsertPassage(ctx, a.ID, in)
		var e *Error
		if !errors.As(err, &e) || (e.Kind != ErrTooLarge && e.Kind != ErrInvalidArgument) {
			t.Fatalf("context of %d bytes: %v, want a caller error", len(in.Context), err)
		}
	}
	hits, err = svc.SearchArchival(ctx, a.ID, ArchivalQuery{Query: "fine", K: 5, Mode: ModeLexical})
	if err != nil || len(hits) != 0 {
		t.Fatalf("a refused passage was stored: %v %v", hitTexts(hits), err)
	}
}

func hitTexts(hits []ArchivalHit) []string {
	var out []string
	for _, h := range hits {
		out = append(out, h.Passage.Text)
	}
	return out
}

// TestASharedContextSuggestsNoSupersession: two facts about one person from one document share
// its context, and so much of their vectors; whether one replaces the other is judged by their
// texts, as without contexts. A changed value with a context is still found.
func TestASharedContextSuggestsNoSupersession(t *testing.T) {
	ctx := state.WithTenant(context.Background(), state.DefaultTenant)
	svc, _, _ := newTestService(t)
	a := createAgent(t, svc, 8000)
	doc := "Notes from the community centre's newsletter about this season's evening classes and who runs them."
	pottery, err := svc.InsertPassage(ctx, a.ID, PassageInput{Text: "Melanie enjoys the pottery class.", Context: doc, ValidFrom: date(2024, 1, 1)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.InsertPassage(ctx, a.ID, PassageInput{Text: "Melanie teaches a yoga class.", Context: doc, ValidFrom: date(2024, 1, 2)}); err != nil {
		t.Fatal(err)
	}
	if got, _ := svc.GetPassage(ctx, a.ID, pottery.ID); got.PossiblySupersededBy != "" {
		t.Fatalf("a fact possibly superseded by another for sharing its context: by %q, confidence %.2f", got.PossiblySupersededBy, got.Confidence)
	}

	old, err := svc.InsertPassage(ctx, a.ID, PassageInput{Text: "Alice works as a nurse at the city hospital",
		Context: "What do you do for a living?", ValidFrom: date(2023, 1, 1)})
	if err != nil {
		t.Fatal(err)
	}
	newer, err := svc.InsertPassage(ctx, a.ID, PassageInput{Text: "Alice works as a doctor at the city hospital",
		Context: "Any news since we last spoke?", ValidFrom: date(2025, 1, 1)})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := svc.GetPassage(ctx, a.ID, old.ID); got.PossiblySupersededBy != newer.ID || got.Confidence <= 0 {
		t.Fatalf("the older fact, with a context of its own: possibly superseded by %q (want %q), confidence %.2f", got.PossiblySupersededBy, newer.ID, got.Confidence)
	}
}

// TestTheInsertToolTakesAContext: an agent stores a fact with what it answers through
// archival_memory_insert, as a program does through PassageInput; a context too large comes back
// to the model as an error it can fix, and nothing is stored.
func TestTheInsertToolTakesAContext(t *testing.T) {
	ctx := state.WithTenant(context.Background(), state.DefaultTenant)
	svc, _, _ := newTestService(t)
	a := createAgent(t, svc, 8000)
	call := func(args map[string]any) ToolResult {
		t.Helper()
		raw, err := json.Marshal(args)
		if err != nil {
			t.Fatal(err)
		}
		res, err := svc.CallTool(ctx, a.ID, ToolCall{Name: "archival_memory_insert", Arguments: raw})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	res := call(map[string]any{"content": "Yes, every Sunday since May.", "context": "Do you still sing in the church choir?"})
	p, ok := res.Data.(archival.Passage)
	if res.IsError || !ok || p.Context != "Do you still sing in the church choir?" {
		t.Fatalf("tool result %+v", res)
	}
	hits, err := svc.SearchArchival(ctx, a.ID, ArchivalQuery{Query: "choir", K: 5, Mode: ModeLexical})
	if err != nil || len(hits) != 1 || hits[0].Passage.ID != p.ID {
		t.Fatalf("lexical search for a word of the context: %v, %v", hitTexts(hits), err)
	}
	res = call(map[string]any{"content": "fine", "context": strings.Repeat("x", MaxContextBytes+1)})
	if !res.IsError || !strings.Contains(res.Content, "context") {
		t.Fatalf("an oversized context: %+v, want a tool error naming it", res)
	}
	if hits, err := svc.SearchArchival(ctx, a.ID, ArchivalQuery{Query: "fine", K: 5, Mode: ModeLexical}); err != nil || len(hits) != 0 {
		t.Fatalf("a refused passage was stored: %v %v", hitTexts(hits), err)
	}
}
