package bench

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"time"
)

// The updates suite's data: short update chains of a technical fact (a version, an endpoint, a
// pool size, a port…), 2 to 4 values 30 days apart, stated in the words an engineer would use
// (a plain restatement, "bumped … to …", "changed … from … to …", "Update: …"), unkeyed, and
// asked "what is the current …" in several phrasings, some without the attribute's word. It is
// the shape of issue 13's held-out check of technical facts; the templates here are one
// writer's, so its figures say how the service handles the kind of data, not that data.

// UpdatesGenConfig sizes the generator. Zero fields take the defaults shown.
type UpdatesGenConfig struct {
	Seed     int64
	Chains   int // update chains in all, default 120
	PerAgent int // chains per crowded agent, default 12
	// Filler is how many unrelated memories a crowded agent holds besides its chains, default
	// 1,000 (a negative value: none): half single facts about other components, half notes of a
	// team's work.
	Filler int
	// Start is the earliest event; chains start within the following 300 days.
	Start time.Time
}

func (c *UpdatesGenConfig) setDefaults() {
	if c.Chains <= 0 {
		c.Chains = 120
	}
	if c.PerAgent <= 0 {
		c.PerAgent = 12
	}
	if c.Filler < 0 {
		c.Filler = 0
	} else if c.Filler == 0 {
		c.Filler = 1000
	}
	if c.Start.IsZero() {
		c.Start = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	}
}

// updateStep is the time between two values of a chain.
const updateStep = 30 * 24 * time.Hour

// Now is when the suite asks: a day after the latest possible event.
func (c UpdatesGenConfig) Now() time.Time {
	return c.Start.Add(300*24*time.Hour + 3*updateStep + 48*time.Hour)
}

// UpdateChain is one technical fact's values, oldest first; the last is current.
type UpdateChain struct {
	Component, Attribute string
	Texts                []string
	ValidFrom            []time.Time
	Values               []string
	Question             string
}

// UpdatesAgent is one crowded agent: its chains and its unrelated memories.
type UpdatesAgent struct {
	Chains []int // indexes into UpdatesData.Chains
	Filler []Fact
}

// UpdatesData is what the updates suite stores and asks.
type UpdatesData struct {
	Chains []UpdateChain
	Agents []UpdatesAgent
}

// techAttr is one kind of technical fact: how its values are drawn, stated, updated and asked.
// Templates name the component {c}, the value {v}, the previous value {o} and the chain's
// parameter {p} (a version's software).
type techAttr struct {
	name    string
	params  []string // a chain draws one (the software of a version); nil for none
	value   func(r *rand.Rand, p string, prev []string) string
	says    []string // a value stated
	updates []string // a value stated as a change
	asks    []string // the current value asked
}

var techAttrs = []techAttr{
	{
		name:   "version",
		params: []string{"PostgreSQL", "Redis", "Node.js", "Python", "Go", "Kafka", "Elasticsearch", "nginx", "Java", "RabbitMQ"},
		value: func(r *rand.Rand, p string, prev []string) string {
			major, minor, patch := 3+r.IntN(12), r.IntN(10), r.IntN(20)
			if n := len(prev); n > 0 {
				var a, b, c int
				fmt.Sscanf(prev[n-1], "%d.%d.%d", &a, &b, &c)
				major, minor, patch = a, b, c+1+r.IntN(4)
				if r.IntN(2) == 0 {
					minor, patch = b+1+r.IntN(3), r.IntN(5)
				}
			}
			return fmt.Sprintf("%d.%d.%d", major, minor, patch)
		},
		says: []string{"{c} runs on {p} {v}.", "We have {p} {v} in {c}.", "{c} is built against {p} {v}."},
		updates: []string{"Bumped {p} in {c} to {v}.", "{c} was upgraded from {p} {o} to {v}.",
			"{c} now runs {p} {v}.", "Upgraded {c} to {p} {v} this morning."},
		asks: []string{"Which {p} version does {c} run now?", "What version of {p} is {c} on?",
			"What is the current {p} release in {c}?"},
	},
	{
		name: "endpoint",
		value: func(r *rand.Rand, _ string, prev []string) string {
			hosts := []string{"api", "gateway", "edge", "svc", "core", "public-api", "int"}
			domains := []string{"internal.example.com", "corp.example.net", "example.io", "prod.example.org"}
			return fmt.Sprintf("https://%s.%s/v%d/%s", hosts[r.IntN(len(hosts))], domains[r.IntN(len(domains))],
				1+len(prev)+r.IntN(2), []string{"orders", "query", "events", "items", "sync", "ingest"}[r.IntN(6)])
		},
		says: []string{"{c} is served at {v}.", "The endpoint for {c} is {v}.", "Call {c} at {v}."},
		updates: []string{"{c} moved to {v}.", "New endpoint for {c}: {v}", "{c} changed its URL from {o} to {v}.",
			"Point clients of {c} at {v} from now on."},
		asks: []string{"What is the current endpoint of {c}?", "Which URL do I call for {c} now?",
			"Where is {c} served these days?"},
	},
	{
		name:  "pool size",
		value: intValue(5, 8, 10, 12, 16, 20, 25, 30, 40, 50, 64, 80, 100, 128, 150, 200),
		says: []string{"{c} keeps a database connection pool of {v}.", "The DB pool size for {c} is {v}.",
			"{c} opens up to {v} connections to the database."},
		updates: []string{"We set the pool size of {c} to {v}.", "{c}'s connection pool is now {v}.",
			"Pool size for {c} went from {o} to {v}.", "Changed the DB pool of {c} to {v} connections."},
		asks: []string{"What is the current connection pool size of {c}?", "How many database connections does {c} pool now?",
			"What is {c}'s DB pool set to?"},
	},
	{
		name:  "timeout",
		value: intValue(5, 10, 15, 20, 30, 45, 60, 90, 120, 180),
		says:  []string{"Requests to {c} time out after {v} seconds.", "{c} has a {v}-second request timeout.", "The timeout of {c} is {v} s."},
		updates: []string{"The timeout on {c} is now {v} seconds.", "Set {c}'s request timeout to {v} seconds.",
			"We changed the timeout of {c} from {o} to {v} seconds.", "{c} gives up on a request after {v} seconds now."},
		asks: []string{"What timeout does {c} use now?", "How long does {c} wait before a request times out?",
			"What is the current request timeout of {c}?"},
	},
	{
		name:  "port",
		value: intValue(3000, 4000, 5432, 6379, 7000, 8000, 8080, 8081, 8443, 8888, 9000, 9090, 9443, 10000),
		says:  []string{"{c} listens on port {v}.", "Port {v} is where {c} runs.", "{c} binds to {v}."},
		updates: []string{"{c} now listens on {v}.", "Moved {c} to port {v}.", "{c} switched from port {o} to {v}.",
			"Heads up: {c} is on port {v} now."},
		asks: []string{"Which port does {c} listen on?", "What port is {c} on now?", "Where do I connect to {c}, which port?"},
	},
	{
		name: "region",
		value: strValue("us-east-1", "us-east-2", "us-west-2", "eu-west-1", "eu-central-1", "eu-north-1",
			"ap-southeast-1", "ap-northeast-1", "ca-central-1", "sa-east-1"),
		says: []string{"{c} is deployed in {v}.", "{c} runs out of {v}.", "We host {c} in {v}."},
		updates: []string{"{c} was migrated to {v}.", "{c} now lives in {v}.", "We moved {c} from {o} to {v}.",
			"{c} serves from {v} since the migration."},
		asks: []string{"Which region is {c} deployed in?", "Where is {c} hosted now?", "What region does {c} run in currently?"},
	},
	{
		name:  "replicas",
		value: intValue(2, 3, 4, 5, 6, 8, 10, 12, 16, 20, 24),
		says:  []string{"{c} runs {v} replicas.", "We run {v} instances of {c}.", "{c} is deployed with {v} pods."},
		updates: []string{"Scaled {c} to {v} replicas.", "{c} is at {v} pods now.", "We went from {o} to {v} replicas of {c}.",
			"{c} runs on {v} instances after the resize."},
		asks: []string{"How many replicas does {c} run?", "How many instances of {c} are there now?", "What is the replica count of {c}?"},
	},
	{
		name:  "backup time",
		value: strValue("00:30 UTC", "01:00 UTC", "02:00 UTC", "02:30 UTC", "03:00 UTC", "04:15 UTC", "05:00 UTC", "22:00 UTC", "23:30 UTC"),
		says:  []string{"The nightly backup of {c} runs at {v}.", "{c} is backed up every night at {v}.", "Backups of {c} start at {v}."},
		updates: []string{"{c}'s backup moved to {v}.", "We rescheduled the backup of {c} from {o} to {v}.",
			"The backup of {c} now kicks off at {v}.", "Nightly backups of {c} run at {v} from now on."},
		asks: []string{"When does the backup of {c} run?", "What time is {c} backed up now?", "At what time does the nightly backup of {c} start?"},
	},
	{
		name:  "owner",
		value: strValue("Falcon", "Orion", "Platform", "Data Infra", "Payments Core", "Atlas", "Nimbus", "Kestrel", "SRE", "Growth"),
		says:  []string{"{c} is owned by the {v} team.", "The {v} team maintains {c}.", "{c} belongs to team {v}."},
		updates: []string{"Ownership of {c} passed to the {v} team.", "{c} now belongs to team {v}.",
			"{c} moved from the {o} team to {v}.", "The {v} team took over {c}."},
		asks: []string{"Which team owns {c}?", "Who maintains {c} now?", "Which team should I page about {c}?"},
	},
	{
		name:  "rate limit",
		value: intValue(60, 100, 120, 250, 300, 500, 600, 1000, 1200, 2000, 5000),
		says:  []string{"{c} is rate-limited to {v} requests per minute.", "The rate limit of {c} is {v} requests a minute.", "{c} accepts at most {v} requests per minute."},
		updates: []string{"We lifted {c}'s rate limit to {v} requests a minute.", "{c} now allows {v} requests per minute.",
			"The rate limit on {c} changed from {o} to {v} per minute.", "{c} throttles at {v} requests per minute now."},
		asks: []string{"What is the rate limit on {c}?", "How many requests per minute does {c} accept now?", "What is {c} throttled at?"},
	},
	{
		name:  "memory limit",
		value: intValue(256, 384, 512, 768, 1024, 1536, 2048, 3072, 4096, 8192),
		says:  []string{"{c} has a memory limit of {v} MiB.", "The container of {c} may use {v} MiB of memory.", "{c} is capped at {v} MiB of RAM."},
		updates: []string{"Raised {c}'s memory limit to {v} MiB.", "{c} may now use {v} MiB of memory.",
			"The memory cap of {c} went from {o} to {v} MiB.", "{c} gets {v} MiB of RAM after the change."},
		asks: []string{"What is the memory limit of {c}?", "How much memory is {c} allowed now?", "How much RAM can {c} use?"},
	},
	{
		name: "base image",
		value: strValue("debian:bookworm-slim", "debian:bullseye-slim", "alpine:3.18", "alpine:3.19", "ubuntu:22.04", "ubuntu:24.04",
			"distroless/static", "distroless/base", "rockylinux:9", "amazonlinux:2023"),
		says: []string{"{c} builds on {v}.", "The Docker base image of {c} is {v}.", "{c}'s image is based on {v}."},
		updates: []string{"{c} switched its base image to {v}.", "We rebased {c} onto {v}.", "{c} moved from {o} to {v} as its base image.",
			"The base image for {c} is {v} now."},
		asks: []string{"Which base image does {c} use?", "What image is {c} built from now?", "What is the current Docker base of {c}?"},
	},
}

// components are the systems the facts are about.
var components = []string{
	"the billing service", "the search indexer", "payments-api", "the auth gateway", "the CI runners",
	"the analytics warehouse", "the mobile backend", "the notification worker", "the staging cluster",
	"the image resizer", "the recommendations service", "the ledger database", "the export job", "the chat relay",
	"the metrics pipeline", "the checkout service", "the inventory sync", "the email sender", "the feature-flag server",
	"the geocoding service", "orders-db", "the session store", "the audit logger", "the webhook dispatcher",
	"the pricing engine", "the PDF renderer", "the fraud scorer", "the shipping tracker", "user-profile-api",
	"the video transcoder", "the report scheduler", "the cache tier", "the ML feature store", "the docs site",
	"the admin console", "the partner API", "the SMS gateway", "the tax calculator", "the loyalty service",
	"the data lake loader", "the translation service", "the status page", "the access proxy", "the backup vault",
	"the invoice generator", "the support widget", "the A/B test service", "the log shipper",
}

// noteTemplates are a team's unrelated notes; {c} a component, {a} and {b} filled from noteWords.
var noteTemplates = []string{
	"{a} is on call this week for {c}.",
	"The retro about {c} is on {b}.",
	"Incident review: {c} returned errors for a while on {b}; {a} is writing the postmortem.",
	"{a} asked for a design review of the changes to {c}.",
	"Standup moves to {b} for the rest of the sprint.",
	"Remember to rotate the credentials of {c} before {b}.",
	"{a} prefers small pull requests for {c}.",
	"The dashboard for {c} needs a latency panel.",
	"Quarterly goal: cut the error rate of {c} in half.",
	"{a} is out on {b}; ask someone else about {c}.",
	"The load test of {c} is planned for {b}.",
	"Write down how {c} is deployed; {a} has the notes.",
	"{a} found a flaky test in {c}.",
	"Budget review on {b}: {c} costs more than planned.",
	"The runbook for {c} is out of date, says {a}.",
}

var noteNames = []string{"Priya", "Marcus", "Lena", "Tomás", "Aiko", "Jonas", "Fatima", "Wei", "Olga", "Sam", "Ravi", "Chloe"}
var noteDays = []string{"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "the 14th", "the first of the month", "next week", "the release day"}

// GenerateUpdates returns cfg.Chains update chains over distinct (component, attribute) pairs,
// and crowded agents of cfg.PerAgent chains each with cfg.Filler unrelated memories.
func GenerateUpdates(cfg UpdatesGenConfig) UpdatesData {
	cfg.setDefaults()
	r := rand.New(rand.NewPCG(uint64(cfg.Seed), 0x7ec4))
	pairs := r.Perm(len(components) * len(techAttrs))
	n := min(cfg.Chains, len(pairs))
	var d UpdatesData
	for _, p := range pairs[:n] {
		d.Chains = append(d.Chains, genChain(r, cfg, components[p/len(techAttrs)], techAttrs[p%len(techAttrs)]))
	}
	for lo := 0; lo < n; lo += cfg.PerAgent {
		hi := min(lo+cfg.PerAgent, n)
		a := UpdatesAgent{}
		own := map[int]bool{}
		for i := lo; i < hi; i++ {
			a.Chains = append(a.Chains, i)
		}
		for _, p := range pairs[lo:hi] {
			own[p] = true
		}
		a.Filler = genFiller(r, cfg, own)
		d.Agents = append(d.Agents, a)
	}
	return d
}

func genChain(r *rand.Rand, cfg UpdatesGenConfig, comp string, a techAttr) UpdateChain {
	c := UpdateChain{Component: comp, Attribute: a.name}
	p := ""
	if a.params != nil {
		p = a.params[r.IntN(len(a.params))]
	}
	t := cfg.Start.Add(time.Duration(r.IntN(300*24)) * time.Hour)
	versions := 2 + r.IntN(3)
	for i := range versions {
		v := a.value(r, p, c.Values)
		for tries := 0; slices.Contains(c.Values, v) && tries < 20; tries++ {
			v = a.value(r, p, c.Values)
		}
		tmpl := r.IntN(len(a.says))
		text := techFill(a.says[tmpl], comp, v, "", p)
		if i > 0 && r.IntN(4) > 0 { // most updates say they are one; some just restate
			text = techFill(a.updates[r.IntN(len(a.updates))], comp, v, c.Values[i-1], p)
			if r.IntN(4) == 0 {
				text = []string{"Update: ", "FYI: ", "As of today, ", "Heads up, "}[r.IntN(4)] + lowerFirst(text)
			}
		}
		c.Values = append(c.Values, v)
		c.Texts = append(c.Texts, text)
		c.ValidFrom = append(c.ValidFrom, t.Add(time.Duration(i)*updateStep+time.Duration(r.IntN(8*60))*time.Minute))
	}
	c.Question = techFill(a.asks[r.IntN(len(a.asks))], comp, "", "", p)
	return c
}

// genFiller returns n unrelated memories: single facts about (component, attribute) pairs
// not in own, and notes.
func genFiller(r *rand.Rand, cfg UpdatesGenConfig, own map[int]bool) []Fact {
	var out []Fact
	span := int(cfg.Now().Sub(cfg.Start) / time.Hour)
	at := func() time.Time { return cfg.Start.Add(time.Duration(r.IntN(span)) * time.Hour) }
	for len(out) < cfg.Filler {
		if len(out)%2 == 0 && len(own) < len(components)*len(techAttrs) {
			p := r.IntN(len(components) * len(techAttrs))
			if own[p] {
				continue // another pair: some are not the agent's, so this ends
			}
			comp, a := components[p/len(techAttrs)], techAttrs[p%len(techAttrs)]
			param := ""
			if a.params != nil {
				param = a.params[r.IntN(len(a.params))]
			}
			text := techFill(a.says[r.IntN(len(a.says))], comp, a.value(r, param, nil), "", param)
			out = append(out, Fact{Text: text, ValidFrom: at(), Kind: FactNoise, Subject: comp, Slot: -1})
			continue
		}
		comp := components[r.IntN(len(components))]
		text := strings.NewReplacer("{c}", comp, "{a}", noteNames[r.IntN(len(noteNames))], "{b}", noteDays[r.IntN(len(noteDays))]).
			Replace(noteTemplates[r.IntN(len(noteTemplates))])
		out = append(out, Fact{Text: upperFirst(text), ValidFrom: at(), Kind: FactNoise, Subject: comp, Slot: -1})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].ValidFrom.Before(out[j].ValidFrom) })
	return out
}

// intValue draws a value from xs (genChain draws again when it repeats the chain's last).
func intValue(xs ...int) func(*rand.Rand, string, []string) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = fmt.Sprint(x)
	}
	return strValue(s...)
}

func strValue(xs ...string) func(*rand.Rand, string, []string) string {
	return func(r *rand.Rand, _ string, _ []string) string { return xs[r.IntN(len(xs))] }
}

func techFill(tmpl, comp, v, o, p string) string {
	return upperFirst(strings.NewReplacer("{c}", comp, "{v}", v, "{o}", o, "{p}", p).Replace(tmpl))
}

func upperFirst(s string) string {
	if s != "" && s[0] >= 'a' && s[0] <= 'z' {
		return string(s[0]-'a'+'A') + s[1:]
	}
	return s
}

// lowerFirst lower-cases a capitalized first word ("The", "We", "Moved") after a prefix, and
// leaves one whose second letter is upper case ("CI", "PDF").
func lowerFirst(s string) string {
	if len(s) > 1 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'a' && s[1] <= 'z' {
		return string(s[0]-'A'+'a') + s[1:]
	}
	return s
}
