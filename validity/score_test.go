package validity

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"
)

var (
	t2024 = time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	t2025 = time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	now   = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
)

func ptr(t time.Time) *time.Time { return &t }

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestValidityTerm(t *testing.T) {
	tests := []struct {
		name string
		c    Candidate
		q    Query
		want float64
	}{
		{"valid", Candidate{Status: Valid, ValidFrom: t2024}, Query{Now: now}, 1},
		{"superseded", Candidate{Status: Superseded, ValidFrom: t2024}, Query{Now: now}, 0},
		{"invalidated", Candidate{Status: Invalidated, ValidFrom: t2024}, Query{Now: now}, 0},
		{"expired status", Candidate{Status: Expired, ValidFrom: t2024}, Query{Now: now}, 0},
		{"interval ended", Candidate{Status: Valid, ValidFrom: t2024, ValidTo: ptr(t2025)}, Query{Now: now}, 0},
		{"interval ends later", Candidate{Status: Valid, ValidFrom: t2024, ValidTo: ptr(now.Add(time.Hour))}, Query{Now: now}, 1},
		{"possibly superseded", Candidate{Status: Valid, Confidence: 0.8, ValidFrom: t2024}, Query{Now: now}, 0.6},
		{"as_of inside the interval of a superseded one", Candidate{Status: Superseded, ValidFrom: t2024, ValidTo: ptr(t2025)},
			Query{Now: now, AsOf: ptr(time.Date(2024, 12, 31, 0, 0, 0, 0, time.UTC))}, 1},
		{"as_of after the interval", Candidate{Status: Superseded, ValidFrom: t2024, ValidTo: ptr(t2025)},
			Query{Now: now, AsOf: ptr(now)}, 0},
		{"as_of before it became true", Candidate{Status: Valid, ValidFrom: t2025}, Query{Now: now, AsOf: ptr(t2024)}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := validityOf(tt.c, tt.q, Default.Softness); !near(got, tt.want) {
				t.Fatalf("validity = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestEntitiesAndSubjects(t *testing.T) {
	tests := []struct {
		key, text string
		entities  []string
		subject   string
	}{
		{"", "Alice lives in Paris", []string{"alice", "paris"}, "alice"},
		{"", "Where does Alice live?", []string{"alice"}, "alice"},
		{"", "These days Alice's home is in Rome.", []string{"alice", "rome"}, "alice"},
		{"", "Caroline: I went to the LGBTQ support group on Monday.", []string{"caroline", "lgbtq"}, "caroline"},
		{"alice/city", "She moved to Berlin", []string{"berlin"}, "alice"},
		{"northwind-logistics/hq", "Northwind Logistics is based in Oslo", []string{"northwind", "logistics", "oslo"}, "northwind"},
		// An opaque key names a slot, not a subject: the text says whom it is about.
		{"k17", "Alice moved to Berlin", []string{"alice", "berlin"}, "alice"},
		{"slot-3", "I moved to Berlin", []string{"berlin"}, FirstPerson},
		// A sentence opening with a determiner is about a thing named by common nouns, no name
		// (unless it is a name's: "The head office of Northwind"); a name later on is an
		// object, a unit or a versioned product is a value, and a verb or noun that opens a
		// note is no name.
		{"", "the weather is nice", nil, ""},
		{"", "The head office of Northwind Logistics is in Oslo.", []string{"northwind", "logistics", "oslo"}, "northwind"},
		{"", "The webhook dispatcher belongs to team Orion.", []string{"orion"}, ""},
		{"", "The pricing engine's backup moved to 02:30 UTC.", nil, ""},
		{"", "The rate limit on the SMS gateway changed from 600 to 1200 per minute.", []string{"sms"}, "sms"},
		{"", "The docs site is capped at 3072 MiB of RAM.", []string{"ram"}, ""},
		{"", "The search indexer got 512 MiB of RAM.", []string{"ram"}, ""},
		{"", "Raised the admin console's memory limit to 512 MiB.", nil, ""},
		{"", "Heads up, the mobile backend switched from port 10000 to 9443.", nil, ""},
		{"", "As of today, the webhook dispatcher moved from the Payments Core team to Platform.", []string{"payments", "core", "platform"}, ""},
		{"", "The feature-flag server runs on Redis 12.0.4.", nil, ""},
		{"", "Backups of the support widget start at 02:00 UTC.", nil, ""},
		{"", "Nightly backups of the session store run at 03:00 UTC from now on.", nil, ""},
		{"", "Emily dreams of Rome.", []string{"emily", "rome"}, "emily"},
		{"", "Emily thinks of the children every day.", []string{"emily"}, "emily"},
		{"", "Kelly approved of the plan.", []string{"kelly"}, "kelly"},
		{"", "Nightly backups run at 02:00 UTC.", nil, ""},
		{"", "Emily's photos of the harbour are online.", []string{"emily"}, "emily"},
		{"", "In 2019, Alice moved to Oslo.", []string{"alice", "oslo"}, "alice"},
		{"", "This is Alice's new phone number.", []string{"alice"}, "alice"},
		// Names next to small counts, set off by commas, or after a year stay names; a name
		// is seldom followed by "of" or a demonstrative as a verb is.
		{"", "Alice, 34, is a nurse in Leeds.", []string{"alice", "leeds"}, "alice"},
		{"", "Since 2021 McKenzie has lived in Leeds.", []string{"mckenzie", "leeds"}, "mckenzie"},
		{"", "I met Alice 2 weeks ago.", []string{"alice"}, FirstPerson},
		{"", "In 2019 IBM acquired Red Hat.", []string{"ibm", "red", "hat"}, "ibm"},
		{"", "Bob these days works at Google.", []string{"bob", "google"}, "bob"},
		{"", "Joan of Arc led the army.", []string{"joan", "arc"}, "joan"},
		{"", "This Friday Alice flies to Rome.", []string{"alice", "rome"}, "alice"},
		{"", "Port 8080 is where the relay runs.", nil, ""},
		{"", "I think I saw it", nil, FirstPerson},
		{"", "I'm trying to set up Redis on port 6379.", []string{"redis"}, FirstPerson},
		{"", "Lately Alice's favourite dish is sushi.", []string{"alice"}, "alice"},
		{"", "Currently, Bob works at Acme.", []string{"bob", "acme"}, "bob"},
		{"", "Emily lives in Rome.", []string{"emily", "rome"}, "emily"},
		{"", "Update: Alice lives in Rome", []string{"alice", "rome"}, "alice"},
		{"", "\"Alice moved to Oslo,\" she said.", []string{"alice", "oslo"}, "alice"},
		// A name's relation to a person doing something is that person: by the relation, or
		// by the name it is given; a relation word in a noun ("student loan") and a possessed
		// thing are the name's own.
		{"", "Alice's sister lives in Paris.", []string{"alice", "paris"}, "alice's sister"},
		{"", "Lately Bob's new boss works from Oslo.", []string{"bob", "oslo"}, "bob's boss"},
		{"", "Alice's boss is Tom.", []string{"alice", "tom"}, "alice's boss"},
		{"", "Alice's friend Tom lives in Paris.", []string{"alice", "tom", "paris"}, "tom"},
		{"", "Alice's sister, Emma, moved to Rome.", []string{"alice", "emma", "rome"}, "emma"},
		{"", "Carol's kids love the beach.", []string{"carol"}, "carol's kid"},
		{"", "James' sister lives in Oslo.", []string{"james", "oslo"}, "james's sister"},
		{"", "Alice's student loan is paid off.", []string{"alice"}, "alice"},
		{"", "Alice's doctor appointment moved to Monday.", []string{"alice"}, "alice"},
		{"", "Alice's car is a Volvo.", []string{"alice", "volvo"}, "alice"},
		{"", "Alice: my sister lives in Paris", []string{"alice", "paris"}, "alice"},
	}
	for _, tt := range tests {
		got := Entities(tt.text)
		if len(got) != len(tt.entities) {
			t.Errorf("Entities(%q) = %v, want %v", tt.text, got, tt.entities)
			continue
		}
		for i := range got {
			if got[i] != tt.entities[i] {
				t.Errorf("Entities(%q) = %v, want %v", tt.text, got, tt.entities)
			}
		}
		if s := SubjectOf(tt.key, tt.text); s != tt.subject {
			t.Errorf("SubjectOf(%q, %q) = %q, want %q", tt.key, tt.text, s, tt.subject)
		}
	}
}

func TestRankSuppressesSupersededAndPrefersTheNamedSubject(t *testing.T) {
	cands := []Candidate{
		{Relevance: 0.95, Text: "Alice lives in Paris", Status: Superseded, ValidFrom: t2024, ValidTo: ptr(t2025)},
		{Relevance: 0.90, Text: "Bob lives in Lisbon", Status: Valid, ValidFrom: t2024},
		{Relevance: 0.80, Text: "Alice moved to Berlin", Status: Valid, ValidFrom: t2025},
	}
	res := Rank(Query{Text: "Where does Alice live?", Now: now}, cands, Default)
	if res[0].Index != 2 {
		t.Fatalf("first = %d (%+v), want Berlin", res[0].Index, res)
	}
	if res[len(res)-1].Index != 0 || res[len(res)-1].Score != 0 {
		t.Fatalf("the superseded Paris must score 0 and rank last: %+v", res)
	}
	bob := res[1]
	if bob.Index != 1 || !near(bob.Scores.Subject, 0) || !near(bob.Score, 0.9*(1-Default.Weights.Subject)) {
		t.Fatalf("Bob is a distractor about another subject: %+v", bob)
	}
	// Turning the terms off gives relevance order back.
	off := Default
	off.Weights = Weights{Relevance: 1}
	res = Rank(Query{Text: "Where does Alice live?", Now: now}, cands, off)
	if res[0].Index != 0 || res[1].Index != 1 || res[2].Index != 2 {
		t.Fatalf("with weights off, relevance order: %+v", res)
	}
}

// A relative's statement is not the named person's: it does not compete for her slot, and it
// counts as about another subject unless the query names the relative.
func TestARelativeIsNotThePerson(t *testing.T) {
	v := func(x, y float32) []float32 { return []float32{x, y} }
	cands := []Candidate{
		{Relevance: 0.8, Text: "Nina lives in Oslo", Vector: v(1, 0), Status: Valid, ValidFrom: t2024},
		{Relevance: 0.9, Text: "Nina's sister lives in Paris", Vector: v(0.99, 0.05), Status: Valid, ValidFrom: t2025},
	}
	res := Rank(Query{Text: "Where does Nina live?", Now: now}, cands, Default)
	if res[0].Index != 0 || res[0].Scores.Recency != 1 {
		t.Fatalf("Nina's own city first, not aged by her sister's: %+v", res)
	}
	if res[1].Scores.Subject >= 1 {
		t.Fatalf("the sister's city is about another subject: %+v", res[1])
	}
	res = Rank(Query{Text: "Where does Nina's sister live?", Now: now}, cands, Default)
	if res[0].Index != 1 || res[0].Scores.Subject != 1 {
		t.Fatalf("a query that names the sister finds hers: %+v", res)
	}
	if got := queryNames("Where do James' sister and James's friends live?"); !slices.Equal(got, []string{"james", "james's sister", "james's friend"}) {
		t.Fatalf("queryNames = %q", got)
	}

	// Two friends given their names are two people, not one slot.
	cands = []Candidate{
		{Relevance: 0.8, Text: "Alice's friend Tom lives in Paris", Vector: v(1, 0), Status: Valid, ValidFrom: t2024},
		{Relevance: 0.9, Text: "Alice's friend Ben lives in Rome", Vector: v(0.99, 0.05), Status: Valid, ValidFrom: t2025},
	}
	res = Rank(Query{Text: "Where does Tom live?", Now: now}, cands, Default)
	if res[0].Index != 0 || res[0].Scores.Recency != 1 {
		t.Fatalf("Tom's city first, not aged by Ben's: %+v", res)
	}
}

func TestRecencyOnlyWithinASlot(t *testing.T) {
	v := func(x, y float32) []float32 { return []float32{x, y} }
	cands := []Candidate{
		{Relevance: 0.9, Text: "Alice works at Acme", Vector: v(1, 0), Status: Valid, ValidFrom: t2024},
		{Relevance: 0.8, Text: "Alice works at Globex", Vector: v(0.95, 0.1), Status: Valid, ValidFrom: t2025},
		{Relevance: 0.85, Text: "Alice adopted a cat", Vector: v(0, 1), Status: Valid, ValidFrom: t2024.AddDate(-5, 0, 0)},
	}
	res := Rank(Query{Text: "Where does Alice work?", Now: now}, cands, Default)
	byIndex := map[int]Result{}
	for _, r := range res {
		byIndex[r.Index] = r
	}
	if byIndex[1].Scores.Recency != 1 || byIndex[0].Scores.Recency >= 0.01 {
		t.Fatalf("the older employer competes with the newer: %+v", res)
	}
	if byIndex[2].Scores.Recency != 1 {
		t.Fatalf("an old memory without a competitor keeps recency 1: %+v", byIndex[2])
	}
	if res[0].Index != 2 && res[0].Index != 1 {
		t.Fatalf("the stale employer must not rank first: %+v", res)
	}
	// Direction: the newer one never decays.
	for _, r := range res {
		if r.Scores.Recency > 1 || r.Scores.Recency < 0 {
			t.Fatalf("recency out of range: %+v", r)
		}
	}
	global := Default
	global.GlobalRecency = true
	res = Rank(Query{Text: "Where does Alice work?", Now: now}, cands, global)
	for _, r := range res {
		if r.Index == 2 && r.Scores.Recency > byIndex[1].Scores.Recency {
			t.Fatalf("global recency must decay the oldest most: %+v", res)
		}
	}
}

func TestSameKeyAlwaysCompetes(t *testing.T) {
	cands := []Candidate{
		{Relevance: 0.9, Key: "alice/city", Text: "Paris", Status: Valid, ValidFrom: t2024},
		{Relevance: 0.5, Key: "alice/city", Text: "Berlin", Status: Valid, ValidFrom: t2025},
	}
	res := Rank(Query{Text: "city", Now: now}, cands, Default)
	if res[0].Index != 1 {
		t.Fatalf("the newer value of a key wins: %+v", res)
	}
}

func TestDecay(t *testing.T) {
	if decay(0, time.Hour) != 1 || decay(-time.Hour, time.Hour) != 1 || !near(decay(time.Hour, time.Hour), 0.5) {
		t.Fatal("decay must be 1 at 0, 1/2 at one half-life")
	}
}

func TestDenseText(t *testing.T) {
	tests := []struct{ key, text, want string }{
		{"", "Alice moved to Berlin.", "moved to Berlin."},
		{"", "Where does Alice live?", "Where does live?"},
		{"", "Caroline: I went to a support group.", "I went to a support group."},
		{"alice/city", "Alice's home is now in Rome.", "home is now in Rome. (city)"},
		{"k17", "Alice's home is now in Rome.", "home is now in Rome."},
		{"", "Alice", "Alice"},
		{"", "the weather is nice", "the weather is nice"},
	}
	for _, tt := range tests {
		if got := DenseText(tt.key, tt.text); got != tt.want {
			t.Errorf("DenseText(%q, %q) = %q, want %q", tt.key, tt.text, got, tt.want)
		}
	}
}

func TestUtterancesDoNotCompete(t *testing.T) {
	v := []float32{1, 0}
	cands := []Candidate{
		{Relevance: 0.9, Text: "Caroline: I love painting.", Vector: v, Status: Valid, ValidFrom: t2024},
		{Relevance: 0.8, Text: "Caroline: I love painting sunsets.", Vector: v, Status: Valid, ValidFrom: t2025},
	}
	res := Rank(Query{Text: "What does Caroline love?", Now: now}, cands, Default)
	for _, r := range res {
		if r.Scores.Recency != 1 {
			t.Fatalf("a transcript turn must not decay against a later one: %+v", res)
		}
	}
	if !IsUtterance("Caroline: hi") || IsUtterance("Alice lives in Paris") || IsUtterance("note: buy milk") {
		t.Fatal("IsUtterance")
	}
}

func TestAKeyedMemoryCompetesOnlyWithItsKey(t *testing.T) {
	v := []float32{1, 0}
	cands := []Candidate{
		{Relevance: 0.9, Text: "Alice lives in Paris", Key: "alice/city", Vector: v, Status: Valid, ValidFrom: t2024},
		{Relevance: 0.8, Text: "Alice has a flat in Rome", Vector: v, Status: Valid, ValidFrom: t2025},
	}
	res := Rank(Query{Text: "Alice?", Now: now}, cands, Default)
	byIndex := map[int]Result{}
	for _, r := range res {
		byIndex[r.Index] = r
	}
	if byIndex[0].Scores.Recency != 1 {
		t.Errorf("a newer memory without a key must not age a keyed one: %+v", byIndex[0])
	}
	// The other way round, a newer keyed memory ages an older similar one without a key.
	cands[0].ValidFrom, cands[1].ValidFrom = t2025, t2024
	for _, r := range Rank(Query{Text: "Alice?", Now: now}, cands, Default) {
		if r.Index == 1 && r.Scores.Recency >= 1 {
			t.Errorf("an older unkeyed memory like a newer keyed one is in its slot: %+v", r)
		}
	}
}

// A query that names an identifier finds the one note holding it, though the fused relevance of
// its near-identical neighbours (the dense list cannot tell tulip0 from tulip2) is higher.
func TestIdentifierNamedInTheQuery(t *testing.T) {
	var cands []Candidate
	for i := range 5 {
		cands = append(cands, Candidate{Relevance: 1 - 0.02*float64(i), Status: Valid, ValidFrom: t2024.Add(time.Duration(i) * time.Hour),
			Text: fmt.Sprintf("Note %d: the parcel for order 100%d goes to dock %d; remember the password tulip%d.", i, i, i, i)})
	}
	for _, cfg := range []Config{Default, {Weights: Weights{Relevance: 1}}} {
		got := Rank(Query{Text: "password tulip3", Now: now}, cands, cfg)
		if got[0].Index != 3 {
			t.Fatalf("top hit %q, want the note naming tulip3", cands[got[0].Index].Text)
		}
	}
	// Without an identifier in the query, relevance orders them as before.
	if got := Rank(Query{Text: "which dock does the parcel go to", Now: now}, cands, Config{Weights: Weights{Relevance: 1}}); got[0].Index != 0 {
		t.Fatalf("top hit %q without an identifier", cands[got[0].Index].Text)
	}
}

// One pair of different slots crossing GroupCosine does not make them one slot: the current
// employer (newest of its pair) is like a newer, unrelated memory of Alice's, but far from the
// older employer; on average it belongs with the employers, and keeps recency 1. Under a
// pairwise rule the newer memory would age it.
func TestASlotTakesAMemoryInByItsAverage(t *testing.T) {
	// cos(0°, 25°) = 0.91, cos(25°, 70°) = 0.71 (≥ 0.7), cos(0°, 70°) = 0.34: the employers'
	// average with the third is 0.52.
	cands := []Candidate{
		{Relevance: 0.9, Text: "Alice works at Acme.", Vector: unitAt(0), Status: Valid, ValidFrom: t2024},
		{Relevance: 0.8, Text: "Alice took a job at Globex.", Vector: unitAt(25), Status: Valid, ValidFrom: t2025},
		{Relevance: 0.7, Text: "Alice adopted a cat.", Vector: unitAt(70), Status: Valid, ValidFrom: t2025.AddDate(0, 3, 0)},
	}
	got := byIndex(Rank(Query{Text: "Where does Alice work?", Now: now}, cands, Default))
	if got[1].Scores.Recency != 1 || got[2].Scores.Recency != 1 {
		t.Fatalf("the current employer and the cat are different slots: %+v", got)
	}
	if got[0].Scores.Recency >= 0.01 {
		t.Fatalf("the older employer is aged by the newer: %+v", got[0])
	}
	// Were the cat nearer both employers, the three would be one slot.
	cands[2].Vector = unitAt(12)
	got = byIndex(Rank(Query{Text: "Where does Alice work?", Now: now}, cands, Default))
	if got[1].Scores.Recency >= 1 || got[2].Scores.Recency != 1 {
		t.Fatalf("a memory near every member of a slot joins it: %+v", got)
	}
	// Memories of different subjects never share a slot, however alike.
	cands[2].Text = "Bob adopted a cat."
	got = byIndex(Rank(Query{Text: "Where does Alice work?", Now: now}, cands, Default))
	if got[1].Scores.Recency != 1 {
		t.Fatalf("another subject's memory must not age Alice's: %+v", got[1])
	}
}

func TestSlotGroups(t *testing.T) {
	v := func(x, y float32) []float32 { return []float32{x, y} }
	cands := []Candidate{
		{Text: "a", Vector: v(1, 0)},
		{Text: "b", Vector: v(0, 1)},
		{Text: "c", Vector: v(0.99, 0.1)},
		{Text: "d", Vector: v(1, 0)},      // another subject
		{Text: "e", Vector: v(1, 0)},      // not a single statement
		{Text: "f", Vector: []float32{1}}, // another dimension: never like the others
	}
	subjects := []string{"alice", "alice", "alice", "bob", "alice", "alice"}
	whole := []bool{true, true, true, true, false, true}
	g := slotGroups(cands, subjects, whole, 0.7)
	if g[0] < 0 || g[0] != g[2] || g[1] == g[0] || g[3] == g[0] || g[3] < 0 || g[4] != -1 || g[5] == g[0] || g[5] == g[1] {
		t.Fatalf("groups %v", g)
	}
}

func TestTheNearestStatementNamesTheAskedSlot(t *testing.T) {
	// The employers are one slot (cos 0.94); the husky is another. No candidate shares a word
	// with the question but the name.
	fresh := func() []Candidate {
		return []Candidate{
			{Relevance: 0.5, Text: "Alice works at Acme.", Vector: unitAt(0), Status: Valid, ValidFrom: t2024, QueryCosine: 0.55},
			{Relevance: 0.5, Text: "Alice joined Globex this month.", Vector: unitAt(20), Status: Valid, ValidFrom: t2025, QueryCosine: 0.6},
			{Relevance: 0.7, Text: "Alice brought home a husky.", Vector: unitAt(80), Status: Valid, ValidFrom: t2025.AddDate(0, 3, 0), QueryCosine: 0.4},
		}
	}
	q := Query{Text: "Who is Alice's employer?", Now: now}
	res := Rank(q, fresh(), Default)
	if res[0].Index != 1 {
		t.Fatalf("the current employer must come first: %+v", res)
	}
	got := byIndex(res)
	if got[0].Scores.Predicate < Default.AttributeShare || got[1].Scores.Predicate < Default.AttributeShare || got[2].Scores.Predicate != 0 {
		t.Fatalf("the employers' slot matches, the husky does not: %+v", got)
	}
	if got[0].Scores.Recency >= 0.01 {
		t.Fatalf("the older employer is aged by the newer: %+v", got[0])
	}

	// Without query cosines nothing is raised, and the more relevant husky wins.
	cands := fresh()
	for i := range cands {
		cands[i].QueryCosine = 0
	}
	if res := Rank(q, cands, Default); res[0].Index != 2 || res[0].Scores.Predicate != 0 {
		t.Fatalf("no query cosine, no slot found by meaning: %+v", res)
	}

	// A key about the subject leaves the slots to the keys.
	cands = fresh()
	cands[2].Key = "alice/pet"
	for _, r := range Rank(q, cands, Default) {
		if r.Index != 2 && r.Scores.Predicate != 0 {
			t.Fatalf("a slot found by meaning beside a key: %+v", r)
		}
	}

	// The nearest statement about another subject names no slot of Alice's.
	cands = fresh()
	cands = append(cands, Candidate{Relevance: 0.9, Text: "Bob adopted a cat.", Vector: unitAt(80), Status: Valid, ValidFrom: t2025, QueryCosine: 0.9})
	if got := byIndex(Rank(q, cands, Default)); got[1].Scores.Predicate < Default.AttributeShare || got[3].Scores.Predicate != 0 {
		t.Fatalf("only the asked subject's statements name the slot: %+v", got)
	}
}

// unitAt is the 2-d unit vector at deg degrees: cos(unitAt(a), unitAt(b)) = cos(a − b).
func unitAt(deg float64) []float32 {
	r := deg * math.Pi / 180
	return []float32{float32(math.Cos(r)), float32(math.Sin(r))}
}

// byIndex keys Rank's results by the candidate's index.
func byIndex(res []Result) map[int]Result {
	m := map[int]Result{}
	for _, r := range res {
		m[r.Index] = r
	}
	return m
}

// Subject detection reads any text a client stores or asks: it must never panic, whatever the
// words, punctuation or their number.
func FuzzSubjectOf(f *testing.F) {
	for _, s := range []string{"", "The", "The ,", "The of", "The pool of", "Heads up,", "A b, c", "Raised the", "512 MiB",
		"The head office of Northwind Logistics is in Oslo.", "As of today, the vault moved.", "This is", "\"'“ The x's y"} {
		f.Add("", s)
	}
	f.Add("alice/city", "She moved to Berlin")
	f.Fuzz(func(t *testing.T, key, text string) {
		DenseText(key, text)
		MayCompareWhole(text)
		// Without a key the subject is a name the text mentions, the first person, or none.
		if s := SubjectOf("", text); s != "" && s != FirstPerson && !slices.Contains(Entities(text), s) {
			head, _, _ := strings.Cut(text, ": ")
			if !slices.Contains(Entities(head), s) {
				t.Fatalf("SubjectOf(%q) = %q, not among its names %v", text, s, Entities(text))
			}
		}
		SubjectOf(key, text)
	})
}
