package pgstate_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/memsvc/memsvc/state"
)

// TestRecallEdges covers what statetest leaves to each backend: free text that is tsquery syntax,
// the time and role filters, and query vectors that cannot be compared.
func TestRecallEdges(t *testing.T) {
	ctx := state.AllTenants(context.Background())
	s := newStore(t)
	now := time.Now().UTC().Truncate(time.Microsecond)
	a := state.Agent{ID: state.NewID("ag"), Name: "a", System: "s", ContextWindow: 1000, Model: "m", CreatedAt: now, UpdatedAt: now}
	if err := s.CreateAgent(ctx, a, nil); err != nil {
		t.Fatal(err)
	}
	old := now.Add(-time.Hour)
	msgs := []state.Message{
		{ID: state.NewID("msg"), Seq: 1, Role: "user", Content: "Alice's flat in Berlin", Tokens: 1, CreatedAt: old},
		{ID: state.NewID("msg"), Seq: 2, Role: "assistant", Content: "Pasta in Berlin", Tokens: 1, CreatedAt: now},
		{ID: state.NewID("msg"), Seq: 3, Role: "user", Content: "pasta again", Tokens: 1, CreatedAt: now},
	}
	err := s.Page(ctx, a.ID, func(ctx context.Context, p state.Page) (state.Change, error) {
		c := p.Agent().Context
		c.LastSeq, c.InContext = 3, 3
		return state.Change{Append: msgs, Context: &c}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	search := func(q state.RecallQuery) []state.MessageHit {
		t.Helper()
		q.AgentID, q.K = a.ID, 10
		hits, err := s.SearchMessages(ctx, q)
		if err != nil {
			t.Fatalf("search %+v: %v", q, err)
		}
		return hits
	}
	for _, q := range []string{`"`, `NEAR(`, `*`, `a:b -c`, `'`, `&|!<->`, `''`, `\`, `a\'b`, `x:*`, `!!(`, "\x00", "a\xffb", "   ",
		`the of and`, strings.Repeat("berlin ", 5000), strings.Repeat("x", 3000)} {
		search(state.RecallQuery{Text: q})
	}
	// Syntax is plain text: the words in it still match, any of them (OR).
	if hits := search(state.RecallQuery{Text: `"berlin" & !pasta <-> NEAR(*`}); len(hits) != 3 {
		t.Fatalf("or-query over hostile text: %d hits, want 3", len(hits))
	}
	if hits := search(state.RecallQuery{Text: `Alice's`}); len(hits) != 1 || hits[0].Message.Seq != 1 {
		t.Fatalf("apostrophe: %+v", hits)
	}
	if hits := search(state.RecallQuery{Text: "berlin", Roles: []string{"assistant"}}); len(hits) != 1 || hits[0].Message.Seq != 2 {
		t.Fatalf("role filter: %+v", hits)
	}
	from, to := now.Add(-time.Minute), old.Add(time.Minute)
	if hits := search(state.RecallQuery{Text: "berlin", From: &from}); len(hits) != 1 || hits[0].Message.Seq != 2 {
		t.Fatalf("from filter: %+v", hits)
	}
	if hits := search(state.RecallQuery{Text: "berlin", To: &to}); len(hits) != 1 || hits[0].Message.Seq != 1 {
		t.Fatalf("to filter: %+v", hits)
	}

	// Two messages with the same vector tie and share dense rank 1; a zero vector is skipped.
	if err := s.SetMessageVectors(ctx, map[string][]float32{msgs[0].ID: {1, 0, 0}, msgs[1].ID: {2, 0, 0},
		msgs[2].ID: {0, 0, 0}, "msg_unknown": {1, 1, 1}}); err != nil {
		t.Fatal(err)
	}
	hits := search(state.RecallQuery{Vector: []float32{1, 0, 0}})
	if len(hits) != 2 || hits[0].DenseRank != 1 || hits[1].DenseRank != 1 || hits[0].Dense < 0.999999 {
		t.Fatalf("tied dense hits: %+v", hits)
	}
	// Lexical hits come first in their order, dense ranks are merged into them.
	hits = search(state.RecallQuery{Text: "pasta", Vector: []float32{1, 0, 0}})
	if len(hits) != 3 || hits[0].LexicalRank != 1 || hits[1].LexicalRank != 2 || hits[2].LexicalRank != 0 ||
		hits[2].DenseRank != 1 {
		t.Fatalf("merged hits: %+v", hits)
	}
	for _, v := range [][]float32{{0, 0, 0}, {1, 0}} {
		if hits := search(state.RecallQuery{Vector: v}); len(hits) != 0 {
			t.Fatalf("vector %v: %+v", v, hits)
		}
	}
	if un, err := s.UnembeddedMessages(ctx, "", 10); err != nil || len(un) != 0 {
		t.Fatalf("unembedded after set: %+v, %v", un, err)
	}
}
