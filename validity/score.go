package validity

import (
	"math"
	"sort"
	"strings"
	"time"

	"github.com/memsvc/memsvc/textproc"
)

// Status is a memory's validity status, as the archival contract names it.
type Status string

// The statuses.
const (
	Valid       Status = "valid"
	Superseded  Status = "superseded"
	Invalidated Status = "invalidated"
	Expired     Status = "expired"
)

// Candidate is one retrieved memory with what scoring needs of it.
type Candidate struct {
	Relevance float64   // fused dense and lexical relevance, in [0, 1]
	Vector    []float32 // optional: finds memories that compete for one slot
	Text      string
	// Context situates the memory (the message it answers: archival.Passage.Context); the
	// predicate term reads its words with the text's, nothing else reads it.
	Context string
	Key     string
	Status  Status
	// Confidence that the memory is superseded although its status is valid (a possible
	// supersession found without a key); 0 when none.
	Confidence float64
	ValidFrom  time.Time
	ValidTo    *time.Time
	// Written orders memories by when they were written (a creation time in nanoseconds, or a
	// sequence number); it tells which of two memories with the same ValidFrom is the newer,
	// as statements dated by their day or session are. 0 when unknown.
	Written int64
	// SlotTexts are the texts of the memories stored under Key, of every status (the values its
	// slot has had, the newest archival.KeyTextsPerKey), when the caller has them; the predicate
	// term reads them as the memory's own words. Candidates with one key carry the same texts.
	// Ignored without a key.
	SlotTexts []string
	// AttributeCosine is the cosine between the embeddings of the query and of the attribute
	// the memory's key names (KeyAttribute), when the caller computes it; 0 when unknown.
	AttributeCosine float64
	// QueryCosine is the cosine between the embeddings of the query and of the memory, when the
	// caller computes it (see askedSlot); 0 when unknown.
	QueryCosine float64
}

// Query is what a search asks.
type Query struct {
	Text string
	Now  time.Time
	// AsOf, when set, judges validity at that time by the validity interval alone.
	AsOf *time.Time
}

// Weights scale each term's effect, from 0 (off) to 1 (full).
type Weights struct {
	Relevance float64 // exponent of relevance; 1 keeps it as fused
	Recency   float64
	Validity  float64
	Subject   float64
	Predicate float64
}

// Config is the scorer's policy.
type Config struct {
	Weights Weights
	// HalfLife is how fast an older memory fades against a newer competitor for its slot.
	HalfLife time.Duration
	// GroupCosine is the least average cosine of the memories of one slot: single statements
	// about one subject join a slot by average linkage down to it (see slotGroups; memories
	// with one key always compete).
	GroupCosine float64
	// Softness scales the penalty of a possible supersession: validity = 1 - Softness·confidence.
	Softness float64
	// OtherSubject is the subject term of a memory about another subject than the query's.
	OtherSubject float64
	// SupersedeCosine is the cosine at and above which a newer memory about the same subject is
	// taken to possibly supersede an older one (found without a key). Confidence grows from 0.5
	// at this cosine to 1 at cosine 1.
	SupersedeCosine float64
	// GlobalRecency applies recency from Query.Now to every memory instead of within slots. It
	// exists to measure that choice (see bench); the default is off.
	GlobalRecency bool
	// AttributeTemperature is how sharply a keyed memory's predicate match falls as its key's
	// attribute is further from the query than the nearest one (see attributeMatch); 0 uses
	// words alone.
	AttributeTemperature float64
	// AttributeShare is the most predicate match a keyed memory gets from its attribute's
	// closeness to the query in meaning alone, without the query's words; the statements of the
	// slot a query asks about, found by meaning without a key (askedSlot), get as much.
	AttributeShare float64
}

// Default is the policy memsvc uses unless a request sets weights. Its figures were chosen on
// the development data only (bench/RESULTS.md says how).
var Default = Config{
	Weights:      Weights{Relevance: 1, Recency: 1, Validity: 1, Subject: 0.7, Predicate: 0.5},
	HalfLife:     30 * 24 * time.Hour,
	GroupCosine:  0.7,
	Softness:     0.5,
	OtherSubject: 0,

	SupersedeCosine:      0.65,
	AttributeTemperature: 0.05,
	AttributeShare:       0.6,
}

// SupersessionConfidence maps the cosine of two memories about one subject to the confidence
// that the newer supersedes the older, or 0 below cfg.SupersedeCosine.
func (cfg Config) SupersessionConfidence(cos float64) float64 {
	t := cfg.SupersedeCosine
	if t <= 0 || t >= 1 || cos < t {
		return 0
	}
	return clamp01(0.5 + 0.5*(cos-t)/(1-t))
}

// Scores is the breakdown of one memory's score.
type Scores struct {
	Relevance float64
	Recency   float64
	Validity  float64
	Subject   float64
	Predicate float64
}

// Result is one scored candidate: Index into the input, its score and the breakdown.
type Result struct {
	Index  int
	Score  float64
	Scores Scores
	// Conflicts are the indices of the candidates that contradict this one about what the
	// query asks (see resolveSlots).
	Conflicts []int
}

// Rank scores every candidate and returns them best first (ties keep input order).
func Rank(q Query, cands []Candidate, cfg Config) []Result {
	qNames := queryNames(q.Text)
	subjects := make([]string, len(cands))
	whole := make([]bool, len(cands)) // MayCompareWhole of each text, asked once
	short := make([]bool, len(cands)) // isStatement of each text
	for i, c := range cands {
		j := judge(c.Text)
		subjects[i], whole[i], short[i] = j.subject, j.whole, j.statement
		if c.Key != "" {
			subjects[i] = SubjectOf(c.Key, c.Text)
		}
	}
	pred, qt, idf := predicateMatch(q.Text, cands, subjects)
	attributeMatch(pred, cands, cfg.AttributeTemperature, cfg.AttributeShare)
	qIDs := textproc.Identifiers(q.Text)
	var groups []int
	if !cfg.GlobalRecency {
		groups = slotGroups(cands, subjects, whole, cfg.GroupCosine)
	}
	askedSlot(pred, cands, subjects, qNames, groups, cfg.AttributeShare)
	out := make([]Result, len(cands))
	idm := make([]float64, len(cands)) // how much of the query's identifiers each holds
	for i, c := range cands {
		idm[i] = identifierMatch(qIDs, keyWords.Replace(c.Key)+" "+c.Text)
		s := Scores{
			Predicate: pred[i],
			Relevance: c.Relevance * idm[i],
			Validity:  validityOf(c, q, cfg.Softness),
			Subject:   subjectOf(subjects[i], c.Text, qNames, cfg.OtherSubject),
		}
		if cfg.GlobalRecency {
			s.Recency = decay(q.Now.Sub(c.ValidFrom), cfg.HalfLife)
		} else {
			s.Recency = slotRecency(i, cands, groups, cfg)
		}
		w := cfg.Weights
		score := math.Pow(math.Max(s.Relevance, 0), w.Relevance)
		score *= 1 - w.Validity*(1-s.Validity)
		score *= 1 - w.Recency*(1-s.Recency)
		score *= 1 - w.Subject*(1-s.Subject)
		score *= 1 - w.Predicate*(1-s.Predicate)
		out[i] = Result{Index: i, Score: score, Scores: s}
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].Score > out[b].Score })
	if q.AsOf == nil && (cfg.Weights.Recency > 0 || cfg.Weights.Validity > 0) {
		mark := cfg.Weights.Validity > 0
		resolveSlots(out, cands, whole, short, idm, sentenceAnswers(q.Text, cands, subjects, qt, idf), cfg.Weights.Recency, cfg.Softness, cfg.Weights.Validity, mark)
		if mark {
			out = keepConflictsTogether(out)
		}
	}
	return out
}

// identifierMatch weighs a candidate's relevance by the share of the query's identifiers
// (textproc.Identifiers) that its key and text hold: 1 when it holds them all or the query names none,
// down to identifierFloor when it holds none. An identifier names one thing exactly, and the
// rank fusion hears it only as one more rank in the lexical list: among near-identical notes
// ("… the password tulip0", "… tulip2", …) the dense list orders by noise, and the one note the
// query names would lose to a neighbour that the dense list happens to put first.
func identifierMatch(qIDs []string, text string) float64 {
	if len(qIDs) == 0 {
		return 1
	}
	have := map[string]bool{}
	for _, id := range textproc.Identifiers(text) {
		have[id] = true
	}
	n := 0
	for _, id := range qIDs {
		if have[id] {
			n++
		}
	}
	return identifierFloor + (1-identifierFloor)*float64(n)/float64(len(qIDs))
}

// keyWords spells a key ("x1/ip", "alice/home_city") as words.
var keyWords = strings.NewReplacer("/", " ", "_", " ")

// identifierFloor is identifierMatch's weight of a candidate that holds none of the query's
// identifiers.
const identifierFloor = 0.5

func validityOf(c Candidate, q Query, softness float64) float64 {
	if q.AsOf != nil {
		if c.ValidFrom.After(*q.AsOf) || (c.ValidTo != nil && !q.AsOf.Before(*c.ValidTo)) {
			return 0
		}
		return 1
	}
	if c.Status != Valid && c.Status != "" {
		return 0
	}
	if c.ValidTo != nil && !q.Now.Before(*c.ValidTo) {
		return 0 // its interval has ended: expired
	}
	return 1 - softness*clamp01(c.Confidence)
}

// subjectOf is 1 when the memory's subject is one the query names, or when either names none
// (a memory in the first person is the user's own and names no other subject);
// a memory about another subject that still mentions a queried name scores halfway.
func subjectOf(subject, text string, qNames []string, other float64) float64 {
	if subject == "" || subject == FirstPerson || len(qNames) == 0 {
		return 1
	}
	for _, n := range qNames {
		if n == subject {
			return 1
		}
	}
	for _, m := range Entities(text) {
		for _, n := range qNames {
			if m == n {
				return (1 + other) / 2
			}
		}
	}
	return other
}

// newer reports whether b states something later than a: a later ValidFrom, or the same one
// and written later.
func newer(b, a Candidate) bool {
	if !b.ValidFrom.Equal(a.ValidFrom) {
		return b.ValidFrom.After(a.ValidFrom)
	}
	return b.Written > a.Written
}

// slotRecency compares a memory with the others that compete for its slot (competes): the
// newest of a slot scores 1. groups holds each candidate's slotGroups group.
func slotRecency(i int, cands []Candidate, groups []int, cfg Config) float64 {
	c := cands[i]
	newest := c.ValidFrom
	for j, o := range cands {
		if j == i || !o.ValidFrom.After(newest) {
			continue
		}
		if competes(c, o, groups[i], groups[j]) {
			newest = o.ValidFrom
		}
	}
	return decay(newest.Sub(c.ValidFrom), cfg.HalfLife)
}

// competes reports whether b competes with a for a's slot. A declared slot (a key) is resolved
// by the key rule: only a passage of the same key competes with it. A memory without a key
// competes with the memories of its slotGroups group ga (gb is b's), keyed and unkeyed alike:
// single statements about its subject that are as similar as cfg.GroupCosine on average.
func competes(a, b Candidate, ga, gb int) bool {
	if a.Key != "" {
		return a.Key == b.Key
	}
	return ga >= 0 && ga == gb
}

// maxStatementWords is the longest sentence taken as one statement: past it, a sentence holds
// several clauses, and the similarity of the whole says little about any one of them.
const maxStatementWords = 25

// MayCompareWhole reports whether a memory without a key is one statement about a named subject,
// so that the similarity of its whole embedding to another's can say that they state one fact:
// a single short sentence, not a question, not an utterance, about someone or something named. A longer text (a
// message, a note) states many things, and two of them about one project look alike whatever
// they say; first-person text names no subject. Those compete only on the sentence-level
// evidence of resolveSlots.
func MayCompareWhole(text string) bool { return judge(text).whole }

// isStatement reports whether text is one short sentence that states something: not a question,
// not an utterance, at most maxStatementWords words.
func isStatement(text string) bool {
	t := strings.TrimSpace(text)
	return !IsUtterance(t) && !strings.HasSuffix(t, "?") && len(textproc.Sentences(t)) == 1 && len(strings.Fields(t)) <= maxStatementWords
}

// decay is 2^(-age/halfLife), 1 for no age.
func decay(age, halfLife time.Duration) float64 {
	if age <= 0 || halfLife <= 0 {
		return 1
	}
	return math.Exp2(-float64(age) / float64(halfLife))
}

// Cosine returns the cosine similarity of a and b; 0 when their lengths differ or either is zero.
func Cosine(a, b []float32) float64 {
	if len(a) != len(b) {
		return 0
	}
	var dot, na, nb float64
	for i := range a {
		dot += float64(a[i]) * float64(b[i])
		na += float64(a[i]) * float64(a[i])
		nb += float64(b[i]) * float64(b[i])
	}
	if na == 0 || nb == 0 {
		return 0
	}
	return dot / math.Sqrt(na*nb)
}

func clamp01(x float64) float64 { return math.Max(0, math.Min(1, x)) }

// queryNames are the subjects a query asks about: the names it mentions and the relations it
// names ("Where does Nina's sister live?" → "nina", "nina's sister"). The owner stays: what
// Nina says about her sister ("Nina: my sister moved to Oslo") is Nina's, and answers it.
func queryNames(q string) []string {
	return append(Entities(q), relatives(q)...)
}
