package validity

import (
	"math"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestANearDuplicateWithAChangedValueComesFirst(t *testing.T) {
	jan, feb := time.Date(2024, 1, 5, 0, 0, 0, 0, time.UTC), time.Date(2024, 2, 20, 0, 0, 0, 0, time.UTC)
	cands := []Candidate{
		{Relevance: 0.9, Text: "I've been measuring the login API response time and it's currently at 180ms under 20 concurrent requests. Can you review my caching code?", Status: Valid, ValidFrom: jan},
		{Relevance: 0.7, Text: "How do I structure the Express routes for the admin panel?", Status: Valid, ValidFrom: feb.AddDate(0, 1, 0)},
		{Relevance: 0.6, Text: "I optimized the authentication flow, and the login API response time has decreased to 120ms under 20 concurrent requests.", Status: Valid, ValidFrom: feb},
		{Relevance: 0.5, Text: "I set up the Redis cache with a TTL of 3600 seconds for user sessions.", Status: Valid, ValidFrom: jan},
	}
	q := Query{Text: "What is the login API response time under 20 concurrent requests?", Now: feb.AddDate(0, 2, 0)}
	order := func(cfg Config) []int {
		var out []int
		for _, r := range Rank(q, cands, cfg) {
			out = append(out, r.Index)
		}
		return out
	}
	got := order(Default)
	if got[0] != 2 || got[1] != 0 {
		t.Fatalf("the newer value must rank first, just above the older: %v", got)
	}
	off := Default
	off.Weights.Recency = 0
	base := order(off)
	if base[0] != 0 {
		t.Fatalf("without recency the older, more relevant one stays first: %v", base)
	}
	// Nothing else moves: a newer memory on another topic is never moved up for being newer.
	others := func(xs []int) []int {
		return slices.DeleteFunc(slices.Clone(xs), func(i int) bool { return i == 0 || i == 2 })
	}
	if !slices.Equal(others(got), others(base)) {
		t.Fatalf("the other memories moved: %v, without recency %v", got, base)
	}
}

func TestContradictionsAreMarkedAndShownTogether(t *testing.T) {
	d := func(day int) time.Time { return time.Date(2024, 3, day, 0, 0, 0, 0, time.UTC) }
	cands := []Candidate{
		{Relevance: 0.9, Text: "I've never synchronized my server time with any NTP service, which may explain the clock skew.", Status: Valid, ValidFrom: d(1)},
		{Relevance: 0.8, Text: "Can you explain JWT expiry claims?", Status: Valid, ValidFrom: d(2)},
		{Relevance: 0.75, Text: "How should I rotate my refresh tokens?", Status: Valid, ValidFrom: d(3)},
		{Relevance: 0.6, Text: "I synchronized the server time with the NTP service pool.ntp.org last week to fix token validation errors.", Status: Valid, ValidFrom: d(20)},
	}
	q := Query{Text: "Have I ever synchronized my server time with an NTP service?", Now: d(30)}
	res := Rank(q, cands, Default)
	pos := map[int]int{}
	for p, r := range res {
		pos[r.Index] = p
	}
	if d := pos[3] - pos[0]; d != 1 && d != -1 {
		t.Fatalf("the two sides must be shown together: %+v", res)
	}
	if !slices.Contains(res[pos[0]].Conflicts, 3) || !slices.Contains(res[pos[3]].Conflicts, 0) {
		t.Fatalf("each side must name the other: %+v", res)
	}
	off := Default
	off.Weights = Weights{Relevance: 1}
	for _, r := range Rank(q, cands, off) {
		if len(r.Conflicts) > 0 {
			t.Fatalf("a scorer without validity marks nothing: %+v", r)
		}
	}
}

// Two statements dated by the same session (the same ValidFrom) are ordered by when they were
// written: the later one is the newer value. Unknown write order (0) moves nothing.
func TestSameDayUpdateOrderedByWriting(t *testing.T) {
	day := time.Date(2024, 3, 15, 0, 0, 0, 0, time.UTC)
	cands := []Candidate{
		{Relevance: 0.9, Text: "I've allocated $300 monthly for my photography gear starting March 2024, is that enough for a beginner?", Status: Valid, ValidFrom: day, Written: 10},
		{Relevance: 0.7, Text: "Which lens should I buy first for street photography?", Status: Valid, ValidFrom: day, Written: 11},
		{Relevance: 0.6, Text: "My photography gear budget has been adjusted to $350 monthly starting March 2024, can you help me use it well?", Status: Valid, ValidFrom: day, Written: 12},
	}
	q := Query{Text: "How much do I allocate monthly for my photography gear?", Now: day.AddDate(0, 1, 0)}
	if got := Rank(q, cands, Default); got[0].Index != 2 || got[1].Index != 0 {
		t.Fatalf("the later-written value must rank first, just above the earlier: %+v", got)
	}
	for i := range cands {
		cands[i].Written = 0
	}
	if got := Rank(q, cands, Default); got[0].Index != 0 {
		t.Fatalf("without a write order, the same day moves nothing: %+v", got)
	}
}

// An update that is shorter than the statement it updates, and says less of what the question
// asks, still takes its place when it restates it with a changed value; a newer memory that
// only touches the query's topic without restating the older one moves nothing.
func TestAShortUpdateFollowsTheStatementItRestates(t *testing.T) {
	day := time.Date(2024, 2, 5, 0, 0, 0, 0, time.UTC)
	q := Query{Text: "How long do I knead my bread dough to achieve strong gluten development?", Now: day.AddDate(0, 1, 0)}
	cands := []Candidate{
		{Relevance: 0.9, Text: "I've increased my kneading time from 8 to 12 minutes for better gluten development in bread dough, do you think this will significantly improve my bread's texture?", Status: Valid, ValidFrom: day, Written: 1},
		{Relevance: 0.8, Text: "I've increased my kneading time to 15 minutes, how does this impact gluten strength in my bread dough?", Status: Valid, ValidFrom: day, Written: 2},
		{Relevance: 0.7, Text: "My oven runs 15 degrees hot, so I bake the bread dough at 220 instead of 235.", Status: Valid, ValidFrom: day.AddDate(0, 0, 3), Written: 3},
	}
	got := Rank(q, cands, Default)
	if got[0].Index != 1 || got[1].Index != 0 || got[2].Index != 2 {
		t.Fatalf("want the shorter update first, the statement it restates second, the oven note last: %+v", got)
	}
}

// A newer message that restates an older one's fact in passing, amid other words, still takes
// its place when the words around the changed value are the same ("takes 40 minutes to
// finish", later "takes 25 minutes to finish"); a newer memory whose value stands among other
// words (disks in an array) moves nothing.
func TestAValueChangedInPassingComesFirst(t *testing.T) {
	d := func(day int) time.Time { return time.Date(2024, 5, day, 0, 0, 0, 0, time.UTC) }
	q := Query{Text: "How long does my nightly backup job take to finish?", Now: d(30)}
	cands := []Candidate{
		{Relevance: 0.9, Text: "I've been running the nightly backup job since spring and it now takes 40 minutes to finish, can I speed up the compression step?", Status: Valid, ValidFrom: d(2), Written: 1},
		{Relevance: 0.8, Text: "The backup server for the nightly job has 12 disks in a RAID array, is that enough redundancy?", Status: Valid, ValidFrom: d(20), Written: 3},
		{Relevance: 0.7, Text: "After switching the compressor to zstd my backup takes 25 minutes to finish, so what else should I tune before the weekend?", Status: Valid, ValidFrom: d(9), Written: 2},
	}
	got := Rank(q, cands, Default)
	if got[0].Index != 2 || got[1].Index != 0 || got[2].Index != 1 {
		t.Fatalf("want the restated duration first, the one it replaces second, the disks last: %+v", got)
	}
	off := Default
	off.Weights.Recency = 0
	if got := Rank(q, cands, off); got[0].Index != 0 {
		t.Fatalf("without recency the more relevant older statement stays first: %+v", got)
	}
}

// A chain of restatements (40, then 32, then 25 minutes) comes newest first: the oldest one's
// nearest successor moves up above it, then that one, answering the query itself, has its own
// successor moved above it in turn.
func TestAChainOfRestatementsComesNewestFirst(t *testing.T) {
	d := func(day int) time.Time { return time.Date(2024, 5, day, 0, 0, 0, 0, time.UTC) }
	q := Query{Text: "How long does my nightly backup job take to finish?", Now: d(30)}
	cands := []Candidate{
		{Relevance: 0.9, Text: "I've been running the nightly backup job since spring and it now takes 40 minutes to finish, can I speed up the compression step?", Status: Valid, ValidFrom: d(2), Written: 1},
		{Relevance: 0.8, Text: "With the new disks my backup takes 25 minutes to finish, should I move it to an earlier hour?", Status: Valid, ValidFrom: d(20), Written: 3},
		{Relevance: 0.7, Text: "After switching the compressor to zstd my nightly backup job takes 32 minutes to finish, so what else should I tune before the weekend?", Status: Valid, ValidFrom: d(9), Written: 2},
		{Relevance: 0.6, Text: "Which cloud bucket class is cheapest for archives I rarely read?", Status: Valid, ValidFrom: d(25), Written: 4},
	}
	var got []int
	for _, r := range Rank(q, cands, Default) {
		got = append(got, r.Index)
	}
	if !slices.Equal(got[:3], []int{1, 2, 0}) {
		t.Fatalf("want 25, 32, then 40 minutes: %v", got)
	}
}

// Short written-down facts about things named by common nouns (no person's name) compete on
// sentence-level evidence: a newer statement of the same fact with a changed value comes first
// and the older one is suppressed, while a newer fact about the same thing's other attribute, or about another thing's same
// attribute, moves nothing, however many words it shares with the older one.
func TestAShortStatementRestatesOnlyItsOwnFact(t *testing.T) {
	d := func(day int) time.Time { return time.Date(2024, 6, day, 0, 0, 0, 0, time.UTC) }
	q := Query{Text: "How much memory is the docs site allowed now?", Now: d(30)}
	cands := []Candidate{
		{Relevance: 0.95, Text: "The container of the docs site may use 4096 MiB of memory.", Status: Valid, ValidFrom: d(1)},
		{Relevance: 0.9, Text: "The docs site listens on port 10000.", Status: Valid, ValidFrom: d(10)},
		{Relevance: 0.85, Text: "The container of the search indexer may use 768 MiB of memory.", Status: Valid, ValidFrom: d(12)},
		{Relevance: 0.8, Text: "Heads up, the docs site may now use 1024 MiB of memory.", Status: Valid, ValidFrom: d(20)},
	}
	for i, c := range cands {
		if s := SubjectOf("", c.Text); s != "" {
			t.Fatalf("cands[%d]: subject %q, want none: a thing named by common nouns", i, s)
		}
	}
	res := Rank(q, cands, Default)
	var got []int
	for _, r := range res {
		got = append(got, r.Index)
	}
	// The old limit, superseded, takes a possible supersession's penalty and falls below the
	// facts it did not restate.
	if !slices.Equal(got, []int{3, 1, 2, 0}) || res[3].Scores.Validity != 1-Default.Softness {
		t.Fatalf("want the new memory limit first, the port and the other site's limit as relevance has them, the old limit last at validity %v: %+v", 1-Default.Softness, res)
	}
	off := Default
	off.Weights.Validity = 0
	got = got[:0]
	for _, r := range Rank(q, cands, off) {
		got = append(got, r.Index)
	}
	if !slices.Equal(got, []int{3, 0, 1, 2}) {
		t.Fatalf("without validity the old limit stays just below the new one: %v", got)
	}
}

// Facts about other things than the one asked are not taken to restate one another: the newer
// of two other services' rate limits is no update of the older, which keeps its validity.
func TestOtherThingsFactsDoNotRestateEachOther(t *testing.T) {
	d := func(day int) time.Time { return time.Date(2024, 6, day, 0, 0, 0, 0, time.UTC) }
	q := Query{Text: "What is the rate limit on the SMS gateway?", Now: d(30)}
	cands := []Candidate{
		{Relevance: 0.9, Text: "The rate limit on the SMS gateway is 600 requests per minute.", Status: Valid, ValidFrom: d(1)},
		{Relevance: 0.8, Text: "The rate limit of the tax calculator is 500 requests per minute.", Status: Valid, ValidFrom: d(5)},
		{Relevance: 0.7, Text: "The rate limit of the session store is 2000 requests per minute.", Status: Valid, ValidFrom: d(20)},
		{Relevance: 0.6, Text: "The SMS gateway listens on port 8443.", Status: Valid, ValidFrom: d(2)},
		{Relevance: 0.5, Text: "The SMS gateway is deployed in eu-west-1.", Status: Valid, ValidFrom: d(3)},
	}
	for _, r := range Rank(q, cands, Default) {
		if r.Scores.Validity != 1 {
			t.Errorf("%q suppressed (validity %v): no newer fact restates it", cands[r.Index].Text, r.Scores.Validity)
		}
	}
}

// A chain of three values, the middle one ranked first: the newest comes first and both older
// values fall, each below the facts it did not restate; the middle one is not moved back up when
// the oldest is looked at (its successor has fallen, so it falls too).
func TestAllOlderValuesOfAShortFactFall(t *testing.T) {
	d := func(day int) time.Time { return time.Date(2024, 6, day, 0, 0, 0, 0, time.UTC) }
	q := Query{Text: "What is the connection pool size of the billing service?", Now: d(30)}
	cands := []Candidate{
		{Relevance: 0.95, Text: "The billing service keeps a database connection pool of 40.", Status: Valid, ValidFrom: d(10)},
		{Relevance: 0.9, Text: "The billing service keeps a database connection pool of 20.", Status: Valid, ValidFrom: d(1)},
		{Relevance: 0.8, Text: "The billing service listens on port 8080.", Status: Valid, ValidFrom: d(2)},
		{Relevance: 0.75, Text: "The billing service is deployed in eu-west-1.", Status: Valid, ValidFrom: d(3)},
		{Relevance: 0.5, Text: "The billing service keeps a database connection pool of 64.", Status: Valid, ValidFrom: d(20)},
	}
	for _, cfg := range []Config{Default, func() Config { c := Default; c.Weights.Validity = 0.5; return c }()} {
		res := Rank(q, cands, cfg)
		var got []int
		for i, r := range res {
			got = append(got, r.Index)
			if i > 0 && r.Score > res[i-1].Score {
				t.Fatalf("validity weight %v: scores out of order: %+v", cfg.Weights.Validity, res)
			}
			want := 1.0
			if r.Index == 0 || r.Index == 1 {
				want = 1 - cfg.Softness
			}
			if r.Scores.Validity != want {
				t.Fatalf("validity weight %v: %q at validity %v, want %v", cfg.Weights.Validity, cands[r.Index].Text, r.Scores.Validity, want)
			}
		}
		// A fallen value's score is what its breakdown gives at the policy's weights.
		for _, r := range res {
			if r.Index != 0 && r.Index != 1 {
				continue
			}
			w, sc := cfg.Weights, r.Scores
			want := math.Pow(sc.Relevance, w.Relevance) * (1 - w.Validity*(1-sc.Validity)) * (1 - w.Recency*(1-sc.Recency)) *
				(1 - w.Subject*(1-sc.Subject)) * (1 - w.Predicate*(1-sc.Predicate))
			if math.Abs(r.Score-want) > 1e-9 {
				t.Fatalf("validity weight %v: %q scores %v, its breakdown %v", w.Validity, cands[r.Index].Text, r.Score, want)
			}
		}
		if got[0] != 4 {
			t.Fatalf("validity weight %v: want the pool of 64 first: %v", cfg.Weights.Validity, got)
		}
		if cfg.Weights.Validity == 1 && (slices.Index(got, 1) < slices.Index(got, 2) || slices.Index(got, 0) < slices.Index(got, 2)) {
			t.Fatalf("want both older pools below the port: %v (%+v)", got, res)
		}
	}
}

// Short statements of one thing's value in other words than the question's compete when they
// state a value of one kind: of one form ("256 MiB", "384 MiB"), one carried on to another
// ("changed from 100 to 5000"), or said in the same words of their own ("listens"); "backed up"
// says "backup" (textproc.Compound). Each pair is
// alone in its agent, the older first by relevance; the newer comes first and the older falls.
func TestAStatementOfTheSameKindOfValueRestatesIt(t *testing.T) {
	d := func(day int) time.Time { return time.Date(2024, 6, day, 0, 0, 0, 0, time.UTC) }
	for _, tc := range []struct{ q, older, newer string }{
		{"How much memory is the search indexer allowed now?", "The container of the search indexer may use 256 MiB of memory.", "The search indexer is capped at 384 MiB of RAM."},
		{"Which region is the partner API deployed in?", "The partner API runs out of eu-central-1.", "The partner API now lives in ca-central-1."},
		{"How many requests per minute does the support widget accept?", "The support widget is rate-limited to 100 requests per minute.", "The rate limit on the support widget changed from 100 to 5000 per minute."},
		{"Where do I connect to the analytics warehouse, which port?", "The analytics warehouse listens on port 8443.", "The analytics warehouse now listens on 4000."},
		{"When does the backup of the ledger database run?", "The nightly backup of the ledger database runs at 03:00 UTC.", "The ledger database is backed up every night at 04:15 UTC."},
		{"What is the request timeout of the test service?", "The test service has a 120-second request timeout.", "The timeout on the test service is now 30 seconds."},
	} {
		cands := []Candidate{
			{Relevance: 1, Text: tc.older, Status: Valid, ValidFrom: d(1)},
			{Relevance: 0.97, Text: tc.newer, Status: Valid, ValidFrom: d(20)},
		}
		res := Rank(Query{Text: tc.q, Now: d(30)}, cands, Default)
		if res[0].Index != 1 || res[1].Scores.Validity != 1-Default.Softness {
			t.Errorf("%q: want %q first and the older value fallen: %+v", tc.q, tc.newer, res)
		}
		off := Default
		off.Weights.Recency, off.Weights.Validity = 0, 0
		if Rank(Query{Text: tc.q, Now: d(30)}, cands, off)[0].Index != 0 {
			t.Errorf("%q: without recency and validity the more relevant older one stays first", tc.q)
		}
	}
}

// A value of the same kind is no restatement when it is another thing's (its statement says the
// query's attribute, not its thing, and the query finds it far less readily), or when the newer
// statement says a value of another kind about the same thing.
func TestAValueOfTheSameKindAboutAnotherThingDoesNotRestate(t *testing.T) {
	d := func(day int) time.Time { return time.Date(2024, 6, day, 0, 0, 0, 0, time.UTC) }
	q := Query{Text: "What is the memory limit of the checkout service?", Now: d(30)}
	for _, rel := range []float64{0.4, 0.9} { // far down the candidates, or near the top
		sameKindAboutAnotherThing(t, q, rel)
	}
}

func sameKindAboutAnotherThing(t *testing.T, q Query, rel float64) {
	t.Helper()
	d := func(day int) time.Time { return time.Date(2024, 6, day, 0, 0, 0, 0, time.UTC) }
	cands := []Candidate{
		{Relevance: 1, Text: "The container of the checkout service may use 8192 MiB of memory.", Status: Valid, ValidFrom: d(1)},
		{Relevance: 0.9, Text: "The checkout service listens on port 8443.", Status: Valid, ValidFrom: d(15)},
		{Relevance: 0.85, Text: "The checkout service runs out of eu-west-1.", Status: Valid, ValidFrom: d(18)},
		{Relevance: rel, Text: "The container of the ledger database may use 768 MiB of memory.", Status: Valid, ValidFrom: d(20)},
	}
	res := Rank(q, cands, Default)
	if res[0].Index != 0 {
		t.Fatalf("relevance %v: the checkout service's own limit must stay first: %+v", rel, res)
	}
	for _, r := range res {
		if r.Scores.Validity != 1 {
			t.Errorf("relevance %v: %q suppressed (validity %v): nothing restates it", rel, cands[r.Index].Text, r.Scores.Validity)
		}
	}
}

// Two values of one form are not one thing's value when their forms say two things: versions of
// two products, or two numbers side by side that are no change from one to the other.
func TestValuesOfOtherThingsDoNotRestate(t *testing.T) {
	d := func(day int) time.Time { return time.Date(2024, 6, day, 0, 0, 0, 0, time.UTC) }
	for _, tc := range []struct{ q, older, newer string }{
		{"Which Postgres version does the billing service run?", "The billing service runs Postgres 15.4.", "The billing service runs Django 4.2."},
		{"What is the max connection count of the ledger database?", "The ledger database allows 100 connections.", "The ledger database pool keeps 100 idle connections and 20 spare ones."},
	} {
		cands := []Candidate{
			{Relevance: 1, Text: tc.older, Status: Valid, ValidFrom: d(1)},
			{Relevance: 0.9, Text: tc.newer, Status: Valid, ValidFrom: d(20)},
		}
		for _, r := range Rank(Query{Text: tc.q, Now: d(30)}, cands, Default) {
			if r.Scores.Validity != 1 {
				t.Errorf("%q: %q suppressed: %q states another thing", tc.q, cands[r.Index].Text, tc.newer)
			}
		}
	}
}

func TestValueType(t *testing.T) {
	for _, tc := range []struct {
		text string
		k    int
		want string
	}{
		{"backup at 23:30 UTC", 2, "9:9"},
		{"runs out of eu-west-1", 3, "a-a-9"},
		{"PostgreSQL 15.4.2 now", 1, "postgresql 9.9.9"}, // a version of something
		{"upgraded to 15.4.2 now", 2, "9.9.9"},
		{"based on alpine:3.18", 2, "a:9.9"},
		{"served at https://api.example.com/v2/items", 2, "url"},
		{"may use 512 MiB of memory", 2, "9 mib"},
		{"accepts 1200 requests per minute", 1, "9 request"},
		{"a 120-second request timeout", 1, "9 second"},
		{"listens on 8080", 2, ""}, // a bare number: any kind of thing
		{"listens on port 8080", 3, "port 9"},
		{"pool of 150 .", 2, ""},         // a stop word after it: no unit
		{"belongs to team Orion", 3, ""}, // a name
	} {
		words := strings.Fields(tc.text)
		if got := valueType(words, tc.k); got != tc.want {
			t.Errorf("valueType(%q, %d) = %q, want %q", tc.text, tc.k, got, tc.want)
		}
	}
}

// FuzzRankStatements ranks a query over three short statements of fuzzed text: every candidate
// comes back once, with a finite score, and valueType never fails on a word of theirs.
func FuzzRankStatements(f *testing.F) {
	f.Add("How much memory is the vault allowed?", "The vault may use 256 MiB of memory.", "The vault is capped at 384 MiB of RAM.", "It changed from 100 to 5000 per minute.")
	f.Add("Which region?", "runs out of eu-west-1", "9-", "://")
	f.Fuzz(func(t *testing.T, q, a, b, c string) {
		d := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
		cands := []Candidate{
			{Relevance: 1, Text: a, Status: Valid, ValidFrom: d},
			{Relevance: 0.9, Text: b, Status: Valid, ValidFrom: d.AddDate(0, 0, 10)},
			{Relevance: 0.8, Text: c, Status: Valid, ValidFrom: d.AddDate(0, 0, 20)},
		}
		res := Rank(Query{Text: q, Now: d.AddDate(0, 1, 0)}, cands, Default)
		seen := map[int]bool{}
		for _, r := range res {
			if seen[r.Index] || math.IsNaN(r.Score) || math.IsInf(r.Score, 0) {
				t.Fatalf("Rank(%q): %+v", q, res)
			}
			seen[r.Index] = true
		}
		if len(seen) != len(cands) {
			t.Fatalf("Rank(%q) returned %d of %d candidates", q, len(seen), len(cands))
		}
		for _, s := range []string{a, b, c} {
			words := strings.Fields(s)
			for k := range words {
				valueType(words, k)
			}
		}
	})
}
