package pager

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/memsvc/memsvc/archival"
	"github.com/memsvc/memsvc/state"
)

func date(y int, m time.Month, d int) *time.Time {
	t := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	return &t
}

// TestAliceMovesToBerlin is the validity end-to-end case: a superseded fact never answers a
// question about the present, shows as superseded when asked for, answers as_of its time, and
// invalidate then restore leaves a history of both.
func TestAliceMovesToBerlin(t *testing.T) { bothStores(t, testAliceMovesToBerlin) }

func testAliceMovesToBerlin(t *testing.T, svc *Service) {
	ctx := state.WithTenant(context.Background(), state.DefaultTenant)
	a := createAgent(t, svc, 8000)
	paris, err := svc.InsertPassage(ctx, a.ID, PassageInput{Text: "Alice lives in Paris", ValidFrom: date(2024, 3, 1)})
	if err != nil {
		t.Fatal(err)
	}
	berlin, err := svc.InsertPassage(ctx, a.ID, PassageInput{Text: "Alice moved to Berlin", ValidFrom: date(2025, 6, 1), Supersedes: paris.ID})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.InsertPassage(ctx, a.ID, PassageInput{Text: "Bob lives in Lisbon", ValidFrom: date(2025, 1, 1)}); err != nil {
		t.Fatal(err)
	}
	ids := func(hits []ArchivalHit) []string {
		var out []string
		for _, h := range hits {
			out = append(out, h.Passage.ID)
		}
		return out
	}
	hits, err := svc.SearchArchival(ctx, a.ID, ArchivalQuery{Query: "Where does Alice live?"})
	if err != nil {
		t.Fatal(err)
	}
	if len(hits) == 0 || hits[0].Passage.ID != berlin.ID {
		t.Fatalf("Berlin must rank first: %v", ids(hits))
	}
	for _, h := range hits {
		if h.Passage.ID == paris.ID {
			t.Fatalf("superseded Paris must not be returned: %v", ids(hits))
		}
		if h.Scores.Relevance <= 0 || h.Scores.Validity != 1 {
			t.Fatalf("every hit carries its breakdown: %+v", h.Scores)
		}
	}
	hits, err = svc.SearchArchival(ctx, a.ID, ArchivalQuery{Query: "Where does Alice live?", IncludeInvalid: true})
	if err != nil {
		t.Fatal(err)
	}
	var sawParis bool
	for _, h := range hits {
		if h.Passage.ID == paris.ID {
			sawParis = true
			if h.Passage.Status != archival.StatusSuperseded || h.Passage.SupersededBy != berlin.ID || h.Scores.Validity != 0 {
				t.Fatalf("Paris with include_invalid: %+v", h)
			}
		}
	}
	if !sawParis || hits[0].Passage.ID != berlin.ID {
		t.Fatalf("include_invalid shows Paris below Berlin: %v", ids(hits))
	}
	hits, err = svc.SearchArchival(ctx, a.ID, ArchivalQuery{Query: "Where does Alice live?", AsOf: date(2024, 12, 31)})
	if err != nil {
		t.Fatal(err)
	}
	if len(hits) == 0 || hits[0].Passage.ID != paris.ID {
		t.Fatalf("as_of 2024-12-31 answers Paris: %v", ids(hits))
	}

	if _, err := svc.Invalidate(ctx, a.ID, berlin.ID, "she never moved", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Restore(ctx, a.ID, berlin.ID); err != nil {
		t.Fatal(err)
	}
	h, err := svc.PassageHistory(ctx, a.ID, berlin.ID)
	if err != nil {
		t.Fatal(err)
	}
	var acts []string
	for _, e := range h {
		acts = append(acts, e.Action)
	}
	if strings.Join(acts, ",") != "created,invalidated,restored" || h[1].Cause != "she never moved" {
		t.Fatalf("berlin's history: %v (%+v)", acts, h)
	}
	// The tool tells the model the status in plain words.
	res, err := svc.CallTool(ctx, a.ID, ToolCall{Name: "archival_memory_search", Arguments: []byte(`{"query":"Alice Paris"}`)})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(res.Content, "Alice lives in Paris") {
		t.Fatalf("the tool must not offer the superseded fact as valid:\n%s", res.Content)
	}
}

// TestKeyedFactsResolveByValidFrom inserts values of one key out of order through the tool.
func TestKeyedFactsResolveByValidFrom(t *testing.T) { bothStores(t, testKeyedFacts) }

func testKeyedFacts(t *testing.T, svc *Service) {
	ctx := state.WithTenant(context.Background(), state.DefaultTenant)
	a := createAgent(t, svc, 8000)
	for _, v := range []struct{ text, when string }{
		{"Sam's phone is a Pixel 8", "2025-05-01T00:00:00Z"},
		{"Sam's phone is an iPhone 12", "2023-01-01T00:00:00Z"},
		{"Sam's phone is a Galaxy S21", "2024-02-01T00:00:00Z"},
	} {
		res, err := svc.CallTool(ctx, a.ID, ToolCall{Name: "archival_memory_insert",
			Arguments: []byte(`{"content":"` + v.text + `","key":"sam/phone","valid_from":"` + v.when + `"}`)})
		if err != nil || res.IsError {
			t.Fatalf("insert: %v %+v", err, res)
		}
	}
	hits, err := svc.SearchArchival(ctx, a.ID, ArchivalQuery{Query: "What phone does Sam have?", K: 5})
	if err != nil {
		t.Fatal(err)
	}
	if len(hits) != 1 || !strings.Contains(hits[0].Passage.Text, "Pixel") {
		t.Fatalf("only the newest value is valid: %+v", hits)
	}
}

// TestPossibleSupersessionWithoutKey: a newer, similar fact about the same subject marks the older
// one possibly superseded (never across subjects), and the newer ranks first.
func TestPossibleSupersessionWithoutKey(t *testing.T) {
	ctx := state.WithTenant(context.Background(), state.DefaultTenant)
	svc, _, _ := newTestService(t)
	a := createAgent(t, svc, 8000)
	old, err := svc.InsertPassage(ctx, a.ID, PassageInput{Text: "Alice works as a nurse at the city hospital", ValidFrom: date(2023, 1, 1)})
	if err != nil {
		t.Fatal(err)
	}
	bob, err := svc.InsertPassage(ctx, a.ID, PassageInput{Text: "Bob works as a nurse at the city hospital", ValidFrom: date(2023, 6, 1)})
	if err != nil {
		t.Fatal(err)
	}
	newer, err := svc.InsertPassage(ctx, a.ID, PassageInput{Text: "Alice works as a doctor at the city hospital", ValidFrom: date(2025, 1, 1)})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := svc.GetPassage(ctx, a.ID, old.ID)
	if got.PossiblySupersededBy != newer.ID || got.Confidence <= 0 || got.Status != archival.StatusValid {
		t.Fatalf("older Alice fact: %+v", got)
	}
	if b, _ := svc.GetPassage(ctx, a.ID, bob.ID); b.PossiblySupersededBy != "" {
		t.Fatalf("never across subjects: %+v", b)
	}
	hits, err := svc.SearchArchival(ctx, a.ID, ArchivalQuery{Query: "What does Alice work as?"})
	if err != nil || len(hits) == 0 || hits[0].Passage.ID != newer.ID {
		t.Fatalf("the newer fact ranks first: %+v %v", hits, err)
	}
}

// TestAKeyNamesWhatAMemoryIsAbout: a question about one attribute of a person finds the memory
// whose key names that attribute, although its text shares no word with the question and other
// memories about the person rank higher on relevance alone.
func TestAKeyNamesWhatAMemoryIsAbout(t *testing.T) { bothStores(t, testKeyAttribute) }

func testKeyAttribute(t *testing.T, svc *Service) {
	ctx := state.WithTenant(context.Background(), state.DefaultTenant)
	a := createAgent(t, svc, 8000)
	for _, f := range []struct{ text, key string }{
		{"Kate settled down in Athens last spring.", "kate/home_city"},
		{"Kate could eat risotto more than anything else.", "kate/favorite_food"},
		{"Kate practises Swedish every evening.", "kate/language"},
		{"Kate bought a Volkswagen Golf.", "kate/car"},
	} {
		if _, err := svc.InsertPassage(ctx, a.ID, PassageInput{Text: f.text, Key: f.key}); err != nil {
			t.Fatal(err)
		}
	}
	zero := 0.0
	for _, tt := range []struct {
		w    *Weights
		want string
	}{{nil, "Athens"}, {&Weights{Predicate: &zero}, ""}} {
		hits, err := svc.SearchArchival(ctx, a.ID, ArchivalQuery{Query: "Where does Kate live?", K: 4, Weights: tt.w})
		if err != nil {
			t.Fatal(err)
		}
		top := hits[0].Passage.Text
		if tt.want != "" && !strings.Contains(top, tt.want) {
			t.Errorf("top hit %q (%+v), want the home city", top, hits[0].Scores)
		}
		if tt.want == "" {
			t.Logf("without the predicate term the top hit is %q", top)
		}
	}
}

// TestAnOpaqueKeysEarlierValuesSayWhatItIsAbout: under a key that names nothing ("k1"), the
// current value "relocated to Oslo" shares no word with "Where does Kate live?"; the earlier,
// superseded value of the same key ("lives in Athens") does, and the store hands it to scoring.
func TestAnOpaqueKeysEarlierValuesSayWhatItIsAbout(t *testing.T) {
	bothStores(t, testOpaqueKey)
}

func testOpaqueKey(t *testing.T, svc *Service) {
	ctx := state.WithTenant(context.Background(), state.DefaultTenant)
	a := createAgent(t, svc, 8000)
	day := func(y int) *time.Time { d := time.Date(y, 3, 1, 0, 0, 0, 0, time.UTC); return &d }
	for _, f := range []struct {
		text, key string
		from      *time.Time
	}{
		{"Kate lives in Athens.", "k1", day(2023)},
		{"Kate has just relocated to Oslo.", "k1", day(2024)},
		{"Kate could eat risotto more than anything else.", "k2", day(2024)},
		{"Kate practises Swedish every evening.", "k3", day(2024)},
		{"Kate bought a Volkswagen Golf.", "k4", day(2024)},
		{"Kate forgot an umbrella at the office.", "", day(2024)},
	} {
		if _, err := svc.InsertPassage(ctx, a.ID, PassageInput{Text: f.text, Key: f.key, ValidFrom: f.from}); err != nil {
			t.Fatal(err)
		}
	}
	hits, err := svc.SearchArchival(ctx, a.ID, ArchivalQuery{Query: "Where does Kate live?", K: 5})
	if err != nil {
		t.Fatal(err)
	}
	if top := hits[0]; !strings.Contains(top.Passage.Text, "Oslo") || top.Scores.Predicate != 1 {
		t.Fatalf("top hit %q (%+v), want Oslo, matched through its key's earlier value", top.Passage.Text, top.Scores)
	}
	for _, h := range hits {
		if strings.Contains(h.Passage.Text, "Athens") {
			t.Fatalf("the superseded value is shown: %+v", hits)
		}
	}
}

// TestTheAskedSlotByMeaning: without keys, a statement that answers the question in other words
// than the question's ("works as an accountant at Initech" for "employer") gets the predicate match of the slot the
// query asks about (validity.askedSlot), which needs the pager to give every candidate its
// cosine to the query; a statement of another slot gets none.
func TestTheAskedSlotByMeaning(t *testing.T) { bothStores(t, testTheAskedSlotByMeaning) }

func testTheAskedSlotByMeaning(t *testing.T, svc *Service) {
	ctx := state.WithTenant(context.Background(), state.DefaultTenant)
	a := createAgent(t, svc, 8000)
	ids := map[string]string{}
	for _, text := range []string{
		"Alice works as an accountant at Initech.",
		"Alice adopted a kitten from the shelter.",
		"Alice plays tennis on weekends.",
	} {
		p, err := svc.InsertPassage(ctx, a.ID, PassageInput{Text: text, ValidFrom: date(2025, 1, 1)})
		if err != nil {
			t.Fatal(err)
		}
		ids[p.ID] = text
	}
	hits, err := svc.SearchArchival(ctx, a.ID, ArchivalQuery{Query: "Who is Alice's employer?"})
	if err != nil {
		t.Fatal(err)
	}
	share := svc.cfg.Scoring.AttributeShare
	if share <= 0 {
		t.Fatalf("the scorer's AttributeShare is %v", share)
	}
	seen := 0
	for _, h := range hits {
		switch text := ids[h.Passage.ID]; {
		case strings.Contains(text, "Initech"):
			seen++
			if h.Scores.Predicate < share {
				t.Fatalf("the employer's statement matches %v, want at least %v: %+v", h.Scores.Predicate, share, hits)
			}
		case text != "":
			seen++
			if h.Scores.Predicate != 0 {
				t.Fatalf("another slot's statement matches %v: %q", h.Scores.Predicate, text)
			}
		}
	}
	if seen != 3 || ids[hits[0].Passage.ID] != "Alice works as an accountant at Initech." {
		t.Fatalf("the employer's statement must come first among the three: %+v", hits)
	}
}
