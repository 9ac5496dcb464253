package validity

import (
	"math"
	"testing"
)

func TestPredicateStemsInflections(t *testing.T) {
	for _, g := range [][]string{
		{"live", "lives", "lived", "living"},
		{"work", "works", "worked", "working"},
		{"city", "cities"},
		{"study", "studies", "studied"},
		{"move", "moved", "moves"},
	} {
		want := predicateTerms("", g[0], nil, false)
		for _, w := range g[1:] {
			got := predicateTerms("", w, nil, false)
			if len(got) != 1 || len(want) != 1 || !sameKeys(got, want) {
				t.Errorf("predicateTerms(%q) = %v, (%q) = %v: want one stem", w, got, g[0], want)
			}
		}
	}
}

func sameKeys(a, b map[string]bool) bool {
	for k := range a {
		if !b[k] {
			return false
		}
	}
	return len(a) == len(b)
}

func TestKeyAttribute(t *testing.T) {
	for key, want := range map[string]string{
		"alice/city": "city", "user/favourite_food": "favourite food", "alice/address/city": "address city",
		"alice": "", "": "",
	} {
		if got := KeyAttribute(key); got != want {
			t.Errorf("KeyAttribute(%q) = %q, want %q", key, got, want)
		}
	}
}

func TestPredicateMatch(t *testing.T) {
	cands := []Candidate{
		{Text: "Alice lives in Paris"},
		{Text: "Alice drives a Volvo"},
		{Text: "She moved to Berlin", Key: "alice/city"},
		{Text: "Alice's sister lives in Rome"},
	}
	got, _, _ := predicateMatch("Which city does Alice live in?", cands, subjectsOf(cands))
	// "city" (its key) and "live" (its text) each match one passage besides the sister.
	if !(got[0] > 0 && got[0] < 1) || got[1] != 0 || !(got[2] > 0 && got[2] < 1) || !(got[3] > 0 && got[3] < 1) {
		t.Fatalf("predicateMatch = %v", got)
	}
	if got[2] <= got[0] {
		t.Errorf("the key's attribute (city, shared by fewer candidates) should count more than lives: %v", got)
	}
	// The subject's name is not part of the predicate: a memory that only shares it does not match.
	if got, _, _ := predicateMatch("Alice?", cands, subjectsOf(cands)); got[1] != 1 {
		t.Errorf("a query without content words matches every memory fully, got %v", got)
	}
	if got, _, _ := predicateMatch("What does Alice drive?", cands, subjectsOf(cands)); got[1] != 1 || got[0] != 0 {
		t.Errorf("drive/drives: got %v", got)
	}
}

// TestPredicateReadsAMemorysContext: a memory's context (the message it answers) says what it
// is about, so that an answer stored with its question matches the question's words; the
// subject is still the text's alone.
func TestPredicateReadsAMemorysContext(t *testing.T) {
	cands := []Candidate{
		{Text: "Melanie: Yes, every Sunday since May.", Context: "Do you still sing in the church choir?"},
		{Text: "Melanie: Yes, every Sunday since May.", Context: "Do you still go fishing with your father?"},
		{Text: "Melanie: I bake bread on Sundays."},
	}
	got, _, _ := predicateMatch("When did Melanie start singing in the choir?", cands, subjectsOf(cands))
	if !(got[0] > 0) || got[1] != 0 || got[2] != 0 {
		t.Fatalf("predicateMatch = %v, want only the answer stored with the choir question to match", got)
	}
	if s := SubjectOf("", cands[0].Text); s != "melanie" {
		t.Errorf("subject %q, want melanie (the context names no one)", s)
	}
	ranked := Rank(Query{Text: "When did Melanie start singing in the choir?"}, []Candidate{
		{Relevance: 0.5, Text: cands[1].Text, Context: cands[1].Context, Status: Valid},
		{Relevance: 0.5, Text: cands[0].Text, Context: cands[0].Context, Status: Valid},
	}, Default)
	if ranked[0].Index != 1 || ranked[0].Scores.Predicate <= ranked[1].Scores.Predicate {
		t.Fatalf("Rank = %+v, want the choir answer first by its predicate", ranked)
	}
}

func subjectsOf(cands []Candidate) []string {
	out := make([]string, len(cands))
	for i, c := range cands {
		out[i] = SubjectOf(c.Key, c.Text)
	}
	return out
}

func TestPredicateKeepsNamesThatAreNotSubjects(t *testing.T) {
	cands := []Candidate{
		{Text: "Caroline: I loved Becoming Nicole, it gave me hope."},
		{Text: "Caroline: I loved the movie, it gave me hope."},
		{Text: "Melanie: Caroline, that sounds great!"},
	}
	got, _, _ := predicateMatch("What did Caroline think of Becoming Nicole?", cands, subjectsOf(cands))
	if !(got[0] > got[1]) {
		t.Errorf("the book's title is what the question asks about: %v", got)
	}
	if got[2] != 0 {
		t.Errorf("a speaker's name is the subject, not the predicate: %v", got)
	}
}

func TestAttributeMatch(t *testing.T) {
	cands := []Candidate{
		{Text: "Alice moved to Berlin", Key: "alice/city", AttributeCosine: 0.8},
		{Text: "Alice bought a Volvo", Key: "alice/car", AttributeCosine: 0.6},
		{Text: "It rained all week", AttributeCosine: 0}, // no key: words alone
	}
	pred := []float64{0, 0.5, 0}
	attributeMatch(pred, cands, 0.05, 1)
	if !near(pred[0], 1) || !near(pred[1], 0.5) || pred[2] != 0 {
		t.Fatalf("attributeMatch = %v, want the nearest attribute at 1, the words' match kept when higher", pred)
	}
	pred = []float64{0, 0, 0}
	attributeMatch(pred, cands, 0.2, 0.6)
	if !near(pred[0], 0.6) || !near(pred[1], 0.6*math.Exp(-1)) {
		t.Fatalf("attributeMatch = %v, want share and share·exp(-0.2/0.2)", pred)
	}
	// Words outweigh meaning: a memory the query's words match fully stays at 1.
	pred = []float64{0, 1, 0}
	attributeMatch(pred, cands, 0.05, 0.6)
	if !near(pred[1], 1) || !near(pred[0], 0.6) {
		t.Fatalf("attributeMatch = %v", pred)
	}
	// Off at temperature or share 0.
	for _, tc := range [][2]float64{{0, 0.6}, {0.05, 0}} {
		pred = []float64{0, 0, 0}
		attributeMatch(pred, cands, tc[0], tc[1])
		if pred[0] != 0 {
			t.Fatalf("temperature %v, share %v must leave the match to words: %v", tc[0], tc[1], pred)
		}
	}
}

func TestPredicateUsesOnlyTheMemorysOwnWords(t *testing.T) {
	cands := []Candidate{
		{Text: "Bob works at Acme", Key: "bob/employer"},
		{Text: "Alice took a job at Globex", Key: "alice/employer"},
		{Text: "Alice moved to Berlin", Key: "alice/city"},
		{Text: "Alice's brother works at Initech"},
	}
	pred, _, _ := predicateMatch("Where does Alice work?", cands, subjectsOf(cands))
	if pred[0] == 0 || pred[3] == 0 {
		t.Errorf("memories that say work match: %v", pred)
	}
	if pred[1] != 0 || pred[2] != 0 {
		t.Errorf("no word is borrowed from another subject's memory with the same attribute: %v", pred)
	}
}

func TestRankPrefersTheAskedAttribute(t *testing.T) {
	cands := []Candidate{
		{Relevance: 0.9, Text: "Alice drives a Volvo", Key: "alice/car", Status: Valid, ValidFrom: t2025, AttributeCosine: 0.45},
		{Relevance: 0.8, Text: "Alice rents an apartment in Rome", Key: "alice/city", Status: Valid, ValidFrom: t2024, AttributeCosine: 0.6},
	}
	res := Rank(Query{Text: "Where does Alice live?", Now: now}, cands, Default)
	if res[0].Index != 1 {
		t.Fatalf("first = %+v, want the city", res)
	}
	off := Default
	off.Weights.Predicate = 0
	if res := Rank(Query{Text: "Where does Alice live?", Now: now}, cands, off); res[0].Index != 0 {
		t.Fatalf("with the predicate term off, relevance decides: %+v", res)
	}
}

func TestAnOpaqueKeyIsDescribedByItsSlotsValues(t *testing.T) {
	// "k1" says nothing of what the slot is; its earlier value says "lives".
	cands := []Candidate{
		{Relevance: 0.9, Text: "Alice is reading a long novel.", Status: Valid, ValidFrom: t2025},
		{Relevance: 0.8, Text: "Alice moved to Berlin.", Key: "k1", Status: Valid, ValidFrom: t2025,
			SlotTexts: []string{"Alice lives in Paris.", "Alice moved to Berlin."}},
		{Relevance: 0.85, Text: "Alice works at Acme.", Key: "k2", Status: Valid, ValidFrom: t2024,
			SlotTexts: []string{"Alice works at Acme."}},
	}
	res := Rank(Query{Text: "Where does Alice live?", Now: now}, cands, Default)
	if res[0].Index != 1 || res[0].Scores.Predicate != 1 {
		t.Fatalf("first = %+v, want Berlin, matched by its slot's words", res)
	}
	// Without its slot's values, the key's memory says nothing the query asks.
	cands[1].SlotTexts = nil
	if res := Rank(Query{Text: "Where does Alice live?", Now: now}, cands, Default); res[0].Index == 1 {
		t.Fatalf("without slot texts Berlin has no predicate evidence, yet ranks first: %+v", res)
	}
	// A memory without a key borrows nothing.
	cands[0].SlotTexts = []string{"Alice lives in Paris."}
	if pred, _, _ := predicateMatch("Where does Alice live?", cands[:1], subjectsOf(cands[:1])); pred[0] != 0 {
		t.Fatalf("an unkeyed memory matched by slot texts: %v", pred)
	}
}
