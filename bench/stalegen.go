package bench

import (
	"math/rand/v2"
	"sort"
	"strings"
	"time"
)

// StaleGenConfig sizes the stale-fact generator. Zero fields take the defaults shown.
type StaleGenConfig struct {
	Seed     int64
	Subjects int // people in all, default 200
	PerAgent int // people per stream (agent), default 20
	Updates  int // the most values one attribute takes, at least 2, default 5
	Decoys   int // near-miss facts per person (a trip, a relative's city…), default 3
	Noise    int // unrelated sentences per person, default 4
	// Start and Span bound event time; default 2023-01-01 and two years.
	Start time.Time
	Span  time.Duration
}

func (c *StaleGenConfig) setDefaults() {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&c.Subjects, 200)
	def(&c.PerAgent, 20)
	def(&c.Updates, 5)
	def(&c.Decoys, 3)
	def(&c.Noise, 4)
	c.Updates = min(max(c.Updates, 2), 10)
	c.PerAgent = min(c.PerAgent, len(firstNames))
	if c.Start.IsZero() {
		c.Start = time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	if c.Span <= 0 {
		c.Span = 730 * 24 * time.Hour
	}
}

// Now is the time the stale suite asks its questions: a day after the last possible event.
func (c StaleGenConfig) Now() time.Time { return c.Start.Add(c.Span + 24*time.Hour) }

// FactKind says what a generated fact is.
type FactKind int

// The kinds of fact.
const (
	FactUpdate FactKind = iota // one value of a slot
	FactDecoy                  // topically close to a slot but never its answer
	FactNoise                  // unrelated
)

// Fact is one generated sentence with its event time.
type Fact struct {
	Text      string
	ValidFrom time.Time
	Kind      FactKind
	Subject   string
	Slot      int // the slot an update belongs to; -1 for decoys and noise
	Version   int // 0 for a slot's oldest value; the highest is current
}

// Slot is one single-valued attribute of one subject: its values oldest first (the last is
// true now), the key a keyed stream stores them under, and the question that asks for it.
type Slot struct {
	Subject, Attribute string
	Key                string
	Question           string
	Facts              []int // indexes into Stream.Facts, oldest first
	Values             []string
}

// Current is the index of the slot's newest fact.
func (s Slot) Current() int { return s.Facts[len(s.Facts)-1] }

// Chain is a two-hop question: the city of the company a person works for now. Hop1 is the
// person's employer slot; Hop2 is the city slot of the current employer.
type Chain struct {
	Person     string
	Hop1, Hop2 int
	Question   string
}

// Stream is one agent's facts in event-time order, with the slots and chains they answer.
type Stream struct {
	Facts  []Fact
	Slots  []Slot
	Chains []Chain
}

// Arrival returns the order the facts arrive in: event time, or shuffled by rng.
func (s Stream) Arrival(shuffle bool, rng *rand.Rand) []int {
	order := make([]int, len(s.Facts))
	for i := range order {
		order[i] = i
	}
	if shuffle {
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
	}
	return order
}

// GenerateStale returns streams of single-hop stale facts, shaped after MemoryAgentBench's
// FactConsolidation: every person has every attribute of staleAttributes, each updated 2 to
// cfg.Updates times over the span (the newest is true), phrased by varied templates, mixed with
// the same attributes of the stream's other people, near-miss decoys and noise.
func GenerateStale(cfg StaleGenConfig) []Stream {
	cfg.setDefaults()
	rng := rand.New(rand.NewPCG(uint64(cfg.Seed), 0x57a1e))
	var out []Stream
	for left := cfg.Subjects; left > 0; left -= cfg.PerAgent {
		g := &streamGen{cfg: cfg, rng: rng}
		for _, name := range pick(rng, firstNames, min(left, cfg.PerAgent)) {
			for _, a := range staleAttributes {
				g.slot(name, a.name, a, a.values)
			}
			g.extras(name)
		}
		out = append(out, g.stream())
	}
	return out
}

// GenerateMultiHop returns streams for the two-hop variant: people change employers, companies
// move their headquarters, and each person asks for the city of their current employer. People
// also have a home city (a distractor for the chained question), decoys and noise.
func GenerateMultiHop(cfg StaleGenConfig) []Stream {
	cfg.setDefaults()
	rng := rand.New(rand.NewPCG(uint64(cfg.Seed), 0x2409))
	var out []Stream
	for left := cfg.Subjects; left > 0; left -= cfg.PerAgent {
		g := &streamGen{cfg: cfg, rng: rng}
		people := pick(rng, firstNames, min(left, cfg.PerAgent))
		companies := pick(rng, companyNames, min(max(3, len(people)/3), len(companyNames)))
		hq := map[string]int{}
		for _, c := range companies {
			hq[c] = g.slot(c, "hq", hqAttribute, cities)
		}
		city := attributeByName("city")
		for _, p := range people {
			emp := g.slot(p, "employer", attributeByName("employer"), companies)
			g.slot(p, "city", city, cities)
			g.extras(p)
			s := g.slots[emp]
			g.chains = append(g.chains, Chain{Person: p, Hop1: emp, Hop2: hq[s.Values[len(s.Values)-1]],
				Question: fill(g.choose(chainQuestions), p, "")})
		}
		out = append(out, g.stream())
	}
	return out
}

// streamGen builds one stream.
type streamGen struct {
	cfg    StaleGenConfig
	rng    *rand.Rand
	facts  []Fact
	slots  []Slot
	chains []Chain
}

// slot adds a slot of subject with 2..Updates distinct values from pool at increasing times.
func (g *streamGen) slot(subject, attr string, a attribute, pool []string) int {
	n := 2 + g.rng.IntN(g.cfg.Updates-1)
	values := pick(g.rng, pool, min(n, len(pool)))
	times := make([]time.Time, len(values))
	for i := range times {
		times[i] = g.instant()
	}
	sort.Slice(times, func(i, j int) bool { return times[i].Before(times[j]) })
	idx := len(g.slots)
	s := Slot{Subject: subject, Attribute: attr, Key: slug(subject) + "/" + attr, Values: values,
		Question: fill(g.choose(a.questions), subject, "")}
	prev := -1
	for v, val := range values {
		t := g.rng.IntN(len(a.facts))
		if t == prev { // vary the phrasing between consecutive values
			t = (t + 1) % len(a.facts)
		}
		prev = t
		s.Facts = append(s.Facts, len(g.facts))
		g.facts = append(g.facts, Fact{Text: fill(a.facts[t], subject, val), ValidFrom: times[v], Kind: FactUpdate,
			Subject: subject, Slot: idx, Version: v})
	}
	g.slots = append(g.slots, s)
	return idx
}

// extras adds a person's decoys and noise.
func (g *streamGen) extras(person string) {
	for range g.cfg.Decoys {
		a := staleAttributes[g.rng.IntN(len(staleAttributes))]
		g.facts = append(g.facts, Fact{Text: fill(g.choose(a.decoys), person, g.choose(a.values)), ValidFrom: g.instant(),
			Kind: FactDecoy, Subject: person, Slot: -1})
	}
	for range g.cfg.Noise {
		text := g.choose(noiseSentences)
		if g.rng.IntN(2) == 0 {
			text = fill(g.choose(personalNoise), person, "")
		}
		g.facts = append(g.facts, Fact{Text: text, ValidFrom: g.instant(), Kind: FactNoise, Subject: person, Slot: -1})
	}
}

// stream sorts the facts by event time and renumbers the slots' references.
func (g *streamGen) stream() Stream {
	order := make([]int, len(g.facts))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(i, j int) bool { return g.facts[order[i]].ValidFrom.Before(g.facts[order[j]].ValidFrom) })
	newIdx := make([]int, len(order))
	facts := make([]Fact, len(order))
	for to, from := range order {
		newIdx[from] = to
		facts[to] = g.facts[from]
	}
	for i := range g.slots {
		for j, f := range g.slots[i].Facts {
			g.slots[i].Facts[j] = newIdx[f]
		}
	}
	return Stream{Facts: facts, Slots: g.slots, Chains: g.chains}
}

// instant is a random time in the span, to the minute.
func (g *streamGen) instant() time.Time {
	return g.cfg.Start.Add(time.Duration(g.rng.Int64N(int64(g.cfg.Span/time.Minute))) * time.Minute)
}

func (g *streamGen) choose(xs []string) string { return xs[g.rng.IntN(len(xs))] }

// pick returns n distinct elements of xs in random order.
func pick(rng *rand.Rand, xs []string, n int) []string {
	p := rng.Perm(len(xs))
	out := make([]string, 0, n)
	for _, i := range p[:min(n, len(xs))] {
		out = append(out, xs[i])
	}
	return out
}

// fill replaces {S} with the subject and {V} with the value, and capitalizes the first letter.
func fill(tmpl, subject, value string) string {
	s := strings.NewReplacer("{S}", subject, "{V}", value).Replace(tmpl)
	if s != "" && s[0] >= 'a' && s[0] <= 'z' {
		s = string(s[0]-'a'+'A') + s[1:]
	}
	return s
}

// slug lower-cases s and joins its words with '-'.
func slug(s string) string { return strings.Join(strings.Fields(strings.ToLower(s)), "-") }
