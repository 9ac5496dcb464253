package archivaltest

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/memsvc/memsvc/archival"
)

// mode is one way to reach the same passages: filters must act alike on both candidate lists.
type mode struct {
	name         string
	text, vector bool
}

var modes = []mode{{"dense", false, true}, {"lexical", true, false}, {"hybrid", true, true}}

// query returns q with the text and vector that m uses.
func (m mode) query(q archival.Query, text string, v []float32) archival.Query {
	if m.text {
		q.Text = text
	}
	if m.vector {
		q.Vector = v
	}
	return q
}

// wantSet fails unless hits hold exactly ids, in any order.
func wantSet(t *testing.T, what string, hits []archival.Hit, ids ...string) {
	t.Helper()
	got := hitIDs(hits)
	slices.Sort(got)
	slices.Sort(ids)
	if !slices.Equal(got, ids) {
		t.Errorf("%s: hits %v, want %v", what, got, ids)
	}
}

// notes stores passages that all match the text "note" and lie near axis 0.
func notes(t *testing.T, s archival.Store, ps ...archival.Passage) {
	t.Helper()
	for i := range ps {
		ps[i].AgentID = "a"
		ps[i].Text = fmt.Sprintf("note number %d", i)
		ps[i].Vector = vec(s, 1, float32(i)/10)
	}
	upsert(t, s, ps...)
}

func testFilterTags(t *testing.T, s archival.Store) {
	notes(t, s,
		archival.Passage{ID: "t1", Tags: []string{"work", "urgent"}},
		archival.Passage{ID: "t2", Tags: []string{"work"}},
		archival.Passage{ID: "t3"},
		archival.Passage{ID: "t4", Tags: []string{"urgent"}},
	)
	cases := []struct {
		tags []string
		want []string
	}{
		{nil, []string{"t1", "t2", "t3", "t4"}},
		{[]string{"work"}, []string{"t1", "t2"}},
		{[]string{"urgent"}, []string{"t1", "t4"}},
		{[]string{"work", "urgent"}, []string{"t1"}},
		{[]string{"urgent", "work", "urgent"}, []string{"t1"}},
		{[]string{"missing"}, nil},
		{[]string{"work", "missing"}, nil},
	}
	for _, m := range modes {
		for _, c := range cases {
			q := m.query(archival.Query{AgentID: "a", K: 10, Tags: c.tags}, "note", axis(s, 0))
			wantSet(t, fmt.Sprintf("%s, tags %q", m.name, c.tags), search(t, s, q), c.want...)
		}
	}
}

func testFilterStatus(t *testing.T, s archival.Store) {
	notes(t, s,
		archival.Passage{ID: "valid", Status: archival.StatusValid},
		archival.Passage{ID: "superseded", Status: archival.StatusSuperseded},
		archival.Passage{ID: "invalidated", Status: archival.StatusInvalidated},
		archival.Passage{ID: "expired", Status: archival.StatusExpired},
	)
	for _, m := range modes {
		q := m.query(archival.Query{AgentID: "a", K: 10}, "note", axis(s, 0))
		wantSet(t, m.name+", default", search(t, s, q), "valid")
		q.IncludeInvalid = true
		wantSet(t, m.name+", include_invalid", search(t, s, q), "valid", "superseded", "invalidated", "expired")
	}
}

// testFilterAsOf checks half-open validity intervals, [valid_from, valid_to). With AsOf set the
// interval alone decides: a passage superseded since was valid then.
func testFilterAsOf(t *testing.T, s archival.Store) {
	day := 24 * time.Hour
	until := func(d time.Duration) *time.Time { v := at(d); return &v }
	notes(t, s,
		archival.Passage{ID: "old", ValidFrom: at(0), ValidTo: until(10 * day), Status: archival.StatusSuperseded},
		archival.Passage{ID: "new", ValidFrom: at(10 * day)},
		archival.Passage{ID: "later", ValidFrom: at(20 * day)},
		archival.Passage{ID: "lapsed", ValidFrom: at(0), ValidTo: until(5 * day), Status: archival.StatusExpired},
	)
	cases := []struct {
		asOf time.Duration
		want []string
	}{
		{-day, nil},
		{0, []string{"old", "lapsed"}},
		{5*day - time.Second, []string{"old", "lapsed"}},
		{5 * day, []string{"old"}},
		{10 * day, []string{"new"}},
		{15 * day, []string{"new"}},
		{25 * day, []string{"new", "later"}},
	}
	for _, m := range modes {
		base := m.query(archival.Query{AgentID: "a", K: 10}, "note", axis(s, 0))
		wantSet(t, m.name+", no as_of", search(t, s, base), "new", "later")
		for _, c := range cases {
			for _, inc := range []bool{false, true} {
				q := base
				asOf := at(c.asOf)
				q.AsOf, q.IncludeInvalid = &asOf, inc
				wantSet(t, fmt.Sprintf("%s, as_of %v, include_invalid %v", m.name, asOf, inc), search(t, s, q), c.want...)
			}
		}
	}
}

// DenseTolerance is how far a hit's Dense may be from the cosine of the vectors as given: a
// store may hold them at reduced precision (memarchival's index holds float16).
const DenseTolerance = 1e-3

func testTopKDense(t *testing.T, s archival.Store) {
	upsert(t, s,
		passage("a", "x", "first", axis(s, 0)),
		passage("a", "xy", "second", vec(s, 0.8, 0.6)),
		passage("a", "y", "third", axis(s, 1)),
		passage("a", "z", "fourth", axis(s, 2)),
		passage("a", "negx", "fifth", vec(s, -2)),
	)
	hits := search(t, s, archival.Query{AgentID: "a", Vector: axis(s, 0), K: 2})
	wantIDs(t, hits, "x", "xy")
	for i, want := range []float64{1, 0.8} {
		if h := hits[i]; math.Abs(h.Dense-want) > DenseTolerance || h.DenseRank != i+1 || h.LexicalRank != 0 {
			t.Errorf("hit %s: dense %v rank %d lexical rank %d, want %v, %d, 0", h.Passage.ID, h.Dense, h.DenseRank, h.LexicalRank, want, i+1)
		}
	}
	wantIDs(t, search(t, s, archival.Query{AgentID: "a", Vector: axis(s, 0), K: 1}), "x")

	all := search(t, s, archival.Query{AgentID: "a", Vector: vec(s, 3), K: 10})
	if len(all) != 5 || all[0].Passage.ID != "x" || all[4].Passage.ID != "negx" || math.Abs(all[4].Dense+1) > 1e-4 {
		t.Fatalf("k=10: %v, want x first and negx (cosine -1) last of 5", hitIDs(all))
	}
	// Ranks are competition ranks: equal cosines (y and z are both orthogonal to x) share one.
	for i, h := range all {
		better := 0
		for _, o := range all {
			if o.Dense > h.Dense+1e-6 {
				better++
			}
		}
		if h.DenseRank != better+1 || (i > 0 && h.Dense > all[i-1].Dense) {
			t.Errorf("dense-only hit %d: rank %d, dense %v, want rank %d", i, h.DenseRank, h.Dense, better+1)
		}
	}
	// Cosine ignores length: a long query along y still ranks y first with similarity 1.
	if hits := search(t, s, archival.Query{AgentID: "a", Vector: vec(s, 0, 7), K: 1}); len(hits) != 1 || hits[0].Passage.ID != "y" || math.Abs(hits[0].Dense-1) > 1e-4 {
		t.Fatalf("query along y: %+v", hits)
	}
}

func testTopKLexical(t *testing.T, s archival.Store) {
	upsert(t, s,
		passage("a", "alice", "alice drinks green tea in paris", axis(s, 0)),
		passage("a", "bob", "bob visits paris in spring", axis(s, 1)),
		passage("a", "carol", "carol drinks black tea", axis(s, 2)),
		passage("a", "dave", "dave repairs old bicycles", axis(s, 3)),
	)
	hits := search(t, s, archival.Query{AgentID: "a", Text: "paris tea", K: 10})
	wantSet(t, "paris tea", hits, "alice", "bob", "carol")
	if hits[0].Passage.ID != "alice" {
		t.Fatalf("paris tea: first hit %s, want alice (the only one with both words)", hits[0].Passage.ID)
	}
	for i, h := range hits {
		if h.LexicalRank != i+1 || h.DenseRank != 0 || h.Lexical <= 0 || (i > 0 && h.Lexical > hits[i-1].Lexical) {
			t.Errorf("lexical-only hit %s: rank %d, dense rank %d, lexical %v", h.Passage.ID, h.LexicalRank, h.DenseRank, h.Lexical)
		}
	}
	wantIDs(t, search(t, s, archival.Query{AgentID: "a", Text: "paris tea", K: 1}), "alice")
	wantIDs(t, search(t, s, archival.Query{AgentID: "a", Text: "bicycles", K: 10}), "dave")
	wantSet(t, "upper case", search(t, s, archival.Query{AgentID: "a", Text: "PARIS", K: 10}), "alice", "bob")
	wantIDs(t, search(t, s, archival.Query{AgentID: "a", Text: "submarine", K: 10}))
}

// testTopKHybrid: h is second by vector and the only lexical match, so fusion puts it above the
// best vector match.
func testTopKHybrid(t *testing.T, s archival.Store) {
	upsert(t, s,
		passage("a", "d", "nothing relevant here", axis(s, 0)),
		passage("a", "h", "a zebra grazing", vec(s, 0.9, 0.436)),
		passage("a", "o", "other words entirely", axis(s, 1)),
	)
	hits := search(t, s, archival.Query{AgentID: "a", Text: "zebra", Vector: axis(s, 0), K: 2})
	wantIDs(t, hits, "h", "d")
	if h := hits[0]; h.DenseRank != 2 || h.LexicalRank != 1 || h.Lexical <= 0 || math.Abs(h.Dense-0.9) > 0.01 {
		t.Errorf("fused hit: %+v", h)
	}
	if d := hits[1]; d.DenseRank != 1 || d.LexicalRank != 0 || d.Lexical != 0 {
		t.Errorf("dense-only hit: %+v", d)
	}
	// Candidate lists run deeper than k: with k = 1, h must still be found second by vector.
	wantIDs(t, search(t, s, archival.Query{AgentID: "a", Text: "zebra", Vector: axis(s, 0), K: 1}), "h")
}

func testAgentIsolation(t *testing.T, s archival.Store) {
	upsert(t, s,
		archival.Passage{ID: "shared", AgentID: "agent-a", Text: "apples are red", Vector: axis(s, 1), Tags: []string{"fruit"}},
		archival.Passage{ID: "shared", AgentID: "agent-b", Text: "apples are green", Vector: axis(s, 0), Tags: []string{"fruit"}},
		archival.Passage{ID: "b-only", AgentID: "agent-b", Text: "apples everywhere", Vector: axis(s, 0), Tags: []string{"fruit"}},
	)
	for _, m := range modes {
		q := m.query(archival.Query{AgentID: "agent-a", K: 10, Tags: []string{"fruit"}}, "apples green everywhere", axis(s, 0))
		hits := search(t, s, q) // checkHits rejects another agent's passage
		wantIDs(t, hits, "shared")
		// Ranks are taken within the agent: its only passage is first in each list it is in.
		if h := hits[0]; h.Passage.Text != "apples are red" || (m.text && h.LexicalRank != 1) || (m.vector && h.DenseRank != 1) {
			t.Errorf("%s: agent-a got %q, dense rank %d, lexical rank %d", m.name, h.Passage.Text, h.DenseRank, h.LexicalRank)
		}
		q.AgentID = "agent-b"
		wantSet(t, m.name+", agent-b", search(t, s, q), "shared", "b-only")
	}
	if err := s.DeleteAgent(t.Context(), "agent-b"); err != nil {
		t.Fatal(err)
	}
	wantCount(t, s, "agent-a", 1)
	p, err := s.Get(t.Context(), "agent-a", "shared")
	if err != nil || p.Text != "apples are red" {
		t.Fatalf("agent-a after deleting agent-b: %q, %v", p.Text, err)
	}
}

// testLexicalStatsPerAgent: BM25's statistics (N, average length, document frequency) are the
// agent's own. Another agent (another tenant's) storing many passages full of the query's words
// changes neither an agent's lexical order nor its scores.
func testLexicalStatsPerAgent(t *testing.T, s archival.Store) {
	upsert(t, s,
		archival.Passage{ID: "a1", AgentID: "agent-a", Text: "Alice moved to Berlin in March", Vector: axis(s, 0)},
		archival.Passage{ID: "a2", AgentID: "agent-a", Text: "Alice drinks coffee in Paris every morning", Vector: axis(s, 1)},
		archival.Passage{ID: "a3", AgentID: "agent-a", Text: "Bob plays the guitar in a band", Vector: axis(s, 2)},
	)
	q := archival.Query{AgentID: "agent-a", Text: "Alice Berlin coffee guitar", K: 10}
	before := search(t, s, q)
	if len(before) != 3 {
		t.Fatalf("before: %d hits, want 3", len(before))
	}
	var flood []archival.Passage
	for i := range 60 {
		flood = append(flood, archival.Passage{ID: fmt.Sprintf("b%02d", i), AgentID: "agent-b",
			Text: "Alice Alice Berlin Berlin coffee coffee coffee", Vector: axis(s, 0)})
	}
	upsert(t, s, flood...)
	after := search(t, s, q)
	if len(after) != len(before) {
		t.Fatalf("after another agent's writes: %d hits, want %d", len(after), len(before))
	}
	for i := range before {
		b, a := before[i], after[i]
		if a.Passage.ID != b.Passage.ID || a.LexicalRank != b.LexicalRank || math.Abs(a.Lexical-b.Lexical) > 1e-6*math.Abs(b.Lexical) {
			t.Errorf("hit %d: before %s (lexical %.6f, rank %d), after %s (lexical %.6f, rank %d)", i,
				b.Passage.ID, b.Lexical, b.LexicalRank, a.Passage.ID, a.Lexical, a.LexicalRank)
		}
	}
}

// testHostileText: query text is plain words, never a query language. Nothing errors, and
// operators in the text do not change which passages match.
func testHostileText(t *testing.T, s archival.Store) {
	upsert(t, s,
		passage("a", "z", `a zebra said "hello" near the café, naïve 東京 🦓`, axis(s, 0)),
		passage("a", "o", "an ordinary passage", axis(s, 1)),
	)
	var many strings.Builder
	for i := range 500 {
		fmt.Fprintf(&many, "word%d ", i)
	}
	hostile := []string{
		`"`, `""`, `"""`, `'`, `''`, "`", `*`, `-`, `+`, `^`, `:`, `(`, `)`, `()`, `{`, `}`, `[`, `]`,
		`NEAR(`, `NEAR(zebra hello, 2)`, `AND`, `OR`, `NOT`, `zebra OR`, `OR zebra`, `zebra AND NOT hello`,
		`text:zebra`, `{text}: zebra`, `- text : zebra`, `zebra*`, `*zebra`, `^zebra`, `zebra"`, `"zebra`,
		`'; DROP TABLE passages; --`, `%_%`, `\`, `\\"`, "\x00", "zebra\x00hello", "\xff\xfe\xfd", "\u200b",
		"\u00a0zebra\u2003", `🦓`, `東京`, `naïve`, "e\u0301", `@#$%&=<>?/|~!`,
		strings.Repeat("(", 1000), strings.Repeat(`"zebra" `, 2000), many.String(),
	}
	for _, text := range hostile {
		for _, m := range []mode{modes[1], modes[2]} {
			q := m.query(archival.Query{AgentID: "a", K: 5}, text, axis(s, 0))
			search(t, s, q) // fails on error
		}
	}
	for _, text := range []string{`"zebra`, `-zebra`, `zebra*`, `NEAR(zebra hello, 2)`, `text:zebra`,
		`zebra AND NOT hello`, `(zebra`, `'; zebra --`, "café"} {
		wantIDs(t, search(t, s, archival.Query{AgentID: "a", Text: text, K: 5}), "z")
	}
	wantCount(t, s, "a", 2)
}
