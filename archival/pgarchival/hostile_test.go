package pgarchival_test

import (
	"context"
	"errors"
	"math"
	"slices"
	"testing"

	"github.com/memsvc/memsvc/archival"
)

// TestHostileLexical: query text is only ever an argument of to_tsvector, and the tsquery is
// built from the resulting lexemes, so tsquery syntax in the text neither errors nor acts.
// Lexemes holding punctuation (hosts, emails, paths, decimals, hyphenated words) still match.
func TestHostileLexical(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	if err := s.Upsert(ctx, []archival.Passage{
		{ID: "z", AgentID: "a", Text: `a zebra said hello`, Vector: unit(0)},
		{ID: "punct", AgentID: "a", Text: `o'neil mailed foo@bar.com from x.y/z about co-operation, pi is 3.14, see c:\temp\file`, Vector: unit(1)},
		{ID: "o", AgentID: "a", Text: "an ordinary passage", Vector: unit(2)},
	}); err != nil {
		t.Fatal(err)
	}
	hostile := []string{
		`"`, `'`, `''`, `'''`, `\`, `\\`, `*`, `:*`, `!`, `&`, `|`, `<->`, `<2>`, `(`, `)`, `!(`, `-x`, `a:b`,
		`NEAR(`, `a:*`, `zebra:*`, `zebra:A`, `zebra:*A`, `!zebra`, `zebra & !hello`, `zebra <-> hello`,
		`zebra <2> hello`, `(zebra | hello)`, `'zebra'`, `''zebra''`, `zebra'`, `zebra\`, `E'\\'`, `$$`,
		`$1`, `%s`, `');--`, `' | '`, `\' | \'`, `''' | '''`, "zebra\x00", "\xff zebra", `zebra:1`,
		`zebra:1,2`, `'zebra':*`, `ze'bra`, `it's`, `won't`,
	}
	for _, text := range hostile {
		for _, v := range [][]float32{nil, unit(0)} {
			if _, err := s.Search(ctx, archival.Query{AgentID: "a", Text: text, Vector: v, K: 5}); err != nil {
				t.Errorf("Search(%q): %v", text, err)
			}
		}
	}
	for _, text := range []string{`zebra:*`, `!zebra`, `zebra & !hello`, `zebra <-> hello`, `'zebra'`,
		`''zebra''`, `zebra\`, "zebra\x00", "\xff zebra", `zebra:A`, `(zebra | hello)`} {
		hits, err := s.Search(ctx, archival.Query{AgentID: "a", Text: text, K: 5})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(ids(hits), []string{"z"}) {
			t.Errorf("Search(%q) = %v, want [z]", text, ids(hits))
		}
	}
	for _, text := range []string{`foo@bar.com`, `x.y/z`, `co-operation`, `3.14`, `c:\temp\file`, `O'Neil`} {
		hits, err := s.Search(ctx, archival.Query{AgentID: "a", Text: text, K: 5})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(ids(hits), []string{"punct"}) {
			t.Errorf("Search(%q) = %v, want [punct]", text, ids(hits))
		}
	}
}

// TestUnstorableStrings: PostgreSQL text holds no NUL and only valid UTF-8. Upsert rejects such
// strings as ErrInvalid (metadata through the server's own error), and lookups by them find
// nothing rather than fail.
func TestUnstorableStrings(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	good := archival.Passage{ID: "p", AgentID: "a", Text: "fine text", Vector: unit(0)}
	for name, mutate := range map[string]func(p *archival.Passage){
		"NUL in text":         func(p *archival.Passage) { p.Text = "bad\x00text" },
		"invalid UTF-8 text":  func(p *archival.Passage) { p.Text = "bad \xff text" },
		"NUL in id":           func(p *archival.Passage) { p.ID = "p\x00" },
		"NUL in agent":        func(p *archival.Passage) { p.AgentID = "a\x00" },
		"NUL in tag":          func(p *archival.Passage) { p.Tags = []string{"ok", "t\x00"} },
		"NUL in key":          func(p *archival.Passage) { p.Key = "k\x00" },
		"NUL in metadata":     func(p *archival.Passage) { p.Metadata = map[string]any{"k": "v\x00"} },
		"NUL in metadata key": func(p *archival.Passage) { p.Metadata = map[string]any{"k\x00": 1} },
		"NaN confidence":      func(p *archival.Passage) { p.Confidence = math.NaN() },
	} {
		p := good
		mutate(&p)
		if err := s.Upsert(ctx, []archival.Passage{good, p}); !errors.Is(err, archival.ErrInvalid) {
			t.Errorf("Upsert with %s: %v, want ErrInvalid", name, err)
		}
	}
	if n, err := s.Count(ctx, "a"); err != nil || n != 0 {
		t.Fatalf("Count after rejected batches = %d, %v; want 0", n, err)
	}
	if err := s.Upsert(ctx, []archival.Passage{good}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, "a", "p\x00"); !errors.Is(err, archival.ErrNotFound) {
		t.Errorf("Get of a NUL id: %v, want ErrNotFound", err)
	}
	if err := s.Delete(ctx, "a\xff", "p"); !errors.Is(err, archival.ErrNotFound) {
		t.Errorf("Delete of an invalid agent: %v, want ErrNotFound", err)
	}
	if n, err := s.Count(ctx, "a\x00"); err != nil || n != 0 {
		t.Errorf("Count of a NUL agent = %d, %v", n, err)
	}
	if err := s.DeleteAgent(ctx, "a\x00"); err != nil {
		t.Errorf("DeleteAgent of a NUL agent: %v", err)
	}
	for _, q := range []archival.Query{
		{AgentID: "a\x00", Text: "fine", Vector: unit(0), K: 5},
		{AgentID: "a", Text: "fine", Vector: unit(0), K: 5, Tags: []string{"\xff"}},
	} {
		hits, err := s.Search(ctx, q)
		if err != nil || len(hits) != 0 {
			t.Errorf("Search(%+v) = %v, %v; want no hits", q, ids(hits), err)
		}
	}
}
