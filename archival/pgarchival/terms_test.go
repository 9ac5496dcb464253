package pgarchival_test

import (
	"context"
	"maps"
	"testing"

	"github.com/memsvc/memsvc/archival"
)

// TestPassageTermsFollowWrites: passage_terms (migration 0006) holds the postings of exactly the
// stored passages after inserts, a supersession by key, a rewrite of the text, a delete and an
// agent's delete (newStore checks that at the end too), and a change of status alone leaves a
// passage's postings untouched.
func TestPassageTermsFollowWrites(t *testing.T) {
	s, pool := newStore(t)
	ctx := context.Background()
	check := func(step string) {
		t.Helper()
		if err := consistentTerms(pool); err != nil {
			t.Fatalf("after %s: %v", step, err)
		}
	}
	// postings returns the row versions (xmin) of a passage's postings, by lexeme.
	postings := func(id string) map[string]string {
		t.Helper()
		rows, err := pool.Query(ctx, `SELECT lexeme, xmin::text FROM passage_terms WHERE agent_id = 'a' AND id = $1`, id)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for rows.Next() {
			var lexeme, xmin string
			if err := rows.Scan(&lexeme, &xmin); err != nil {
				t.Fatal(err)
			}
			out[lexeme] = xmin
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return out
	}
	put := func(ps ...archival.Passage) {
		t.Helper()
		if err := s.Upsert(ctx, ps); err != nil {
			t.Fatal(err)
		}
	}

	put(archival.Passage{ID: "p1", AgentID: "a", Text: "Alice lives in Paris, Paris in spring", Vector: unit(1), Key: "alice/city"},
		archival.Passage{ID: "p2", AgentID: "a", Text: "Bob plays chess", Vector: unit(2)},
		archival.Passage{ID: "q1", AgentID: "b", Text: "Carol keeps bees", Vector: unit(3)})
	check("insert")
	before := postings("p1")
	if before["pari"] == "" || before["alic"] == "" {
		t.Fatalf("postings of p1 = %v, want the lexemes alic, live, pari, spring", before)
	}

	// A newer passage with the same key supersedes p1: p1's status changes, its text does not.
	put(archival.Passage{ID: "p3", AgentID: "a", Text: "Alice moved to Berlin", Vector: unit(4), Key: "alice/city"})
	check("supersession")
	if p, err := s.Get(ctx, "a", "p1"); err != nil || p.Status != archival.StatusSuperseded {
		t.Fatalf("p1 = %+v, %v; want superseded", p, err)
	}
	if after := postings("p1"); !maps.Equal(after, before) {
		t.Errorf("a change of status rewrote p1's postings: %v, then %v", before, after)
	}

	put(archival.Passage{ID: "p2", AgentID: "a", Text: "Bob plays go now", Vector: unit(2)})
	check("rewrite")
	if got := postings("p2"); got["chess"] != "" || got["go"] == "" {
		t.Errorf("postings of rewritten p2 = %v, want go and not chess", got)
	}
	if err := s.Delete(ctx, "a", "p3"); err != nil {
		t.Fatal(err)
	}
	check("delete")
	if err := s.DeleteAgent(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	check("agent delete")
	var left int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM passage_terms WHERE agent_id = 'b'`).Scan(&left); err != nil || left != 3 {
		t.Errorf("agent b has %d postings (%v), want 3 (carol, keep, bee)", left, err)
	}
}
