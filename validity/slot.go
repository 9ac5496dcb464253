package validity

import (
	"math"
	"strings"
	"unicode"

	"github.com/memsvc/memsvc/textproc"
)

// Memories without a key compete for the slot a query asks about only on evidence in their own
// text, judged sentence by sentence:
//
//   - the same slot: each has a sentence that says most of what the query asks (its content
//     words, weighted by rarity among the candidates, as the predicate term weighs them) and
//     states a value (a number, a version, a date, a name the query does not give), and the
//     values differ. "The login API's response time is 180ms under 20 concurrent requests"
//     and, weeks later, "… has decreased to 120ms under 20 concurrent requests" both answer
//     "What is the login API response time under 20 concurrent requests?" with different
//     values: the newer is current. This is the commonest real update, and it needs no model.
//   - a contradiction: the two such sentences disagree in polarity (one says "never", "not",
//     "didn't"), whatever values they state. Neither is settled by age: both are shown, next to
//     each other, and each hit names the other (Result.Conflicts).
//
// Memories that merely share a topic do not compete: their sentences do not both answer the
// query, or state no value, or the same one. Recency then never reorders them.

// slotCoverage is the least share of the query's weighted content words that a sentence must
// say to answer it, and slotRelative the least share of the best candidate's coverage.
const (
	slotCoverage = 0.4
	slotRelative = 0.6
)

// answer is what a candidate's best sentence says about the query.
type answer struct {
	coverage float64
	values   map[string]bool
	frame    map[string]bool // content stems, other than values, of its sentence that says most of the query
	// rest is frame without the query's terms: what the sentence says its value is the value
	// of, in its own words ("listens" in "The warehouse listens on port 8443", asked "Which
	// port does the warehouse use?").
	rest map[string]bool
	// around holds, for each value, the content stems within valueReach words of it in the
	// sentences that say any of the query: what the value is the value of.
	around map[string]map[string]bool
	// covers holds the query's terms the memory says, with their weights.
	covers map[string]float64
	// types holds the valueType of the values, in every sentence that says any of the query,
	// whose form says what kind they are.
	types map[string]bool
	// from and to hold the values said right after "from" and after "to" ("changed from 100
	// to 5000"): a change stated as one.
	from, to map[string]bool
	negated  bool
	ok       bool // covers the query enough to compete
}

// sentenceAnswers finds, for each candidate, its sentence that covers the query's content terms
// best; qt are the query's terms and idf their weights.
func sentenceAnswers(q string, cands []Candidate, subjects []string, qt map[string]bool, idf map[string]float64) []answer {
	out := make([]answer, len(cands))
	var total float64
	for t := range qt {
		total += idf[t]
	}
	if total == 0 {
		return out
	}
	qWords := map[string]bool{}
	for _, w := range textproc.Words(q) {
		qWords[textproc.Stem(w)] = true
	}
	best := 0.0
	for i, c := range cands {
		if c.Key != "" || IsUtterance(c.Text) {
			continue
		}
		names := map[string]bool{}
		for _, e := range Entities(c.Text) {
			if e != subjects[i] {
				names[e] = true
			}
		}
		// Coverage is the whole memory's (a message says what it is about over several
		// sentences); values and polarity are those of the sentences that say any of it.
		a := answer{values: map[string]bool{}, around: map[string]map[string]bool{}, types: map[string]bool{}, from: map[string]bool{}, to: map[string]bool{}}
		seen := map[string]float64{}
		var cov, bestSentence float64
		for _, s := range textproc.Sentences(c.Text) {
			words := textproc.Words(s)
			stems := make([]string, len(words))
			compounds := map[int]string{} // "backed up" → "backup", where the query asks it
			hit := false
			say := func(t string) {
				hit = true
				if _, ok := seen[t]; !ok {
					seen[t] = idf[t]
					cov += idf[t]
				}
			}
			for k, w := range words {
				stems[k] = textproc.Stem(w)
				if qt[stems[k]] {
					say(stems[k])
				}
				if k+1 < len(words) {
					if c := textproc.Compound(w, words[k+1]); qt[c] {
						compounds[k] = c
						say(c)
					}
				}
			}
			if !hit {
				continue
			}
			var sc float64
			frame := map[string]bool{}
			for _, c := range compounds {
				sc += idf[c]
			}
			for k, w := range words {
				if qt[stems[k]] {
					sc += idf[stems[k]]
				}
				if !textproc.IsStop(w) && !textproc.HasDigit(w) && !names[strings.ToLower(w)] {
					frame[stems[k]] = true
				}
			}
			if sc > bestSentence {
				bestSentence, a.frame, a.rest = sc, frame, map[string]bool{}
				for w := range frame {
					if !qt[w] {
						a.rest[w] = true
					}
				}
			}
			for k, w := range words {
				if textproc.IsNegation(w) {
					a.negated = true
				}
				if (textproc.HasDigit(w) || names[strings.ToLower(w)]) && !qWords[stems[k]] {
					a.values[stems[k]] = true
					if k > 0 {
						switch strings.ToLower(words[k-1]) {
						case "from":
							a.from[stems[k]] = true
						case "to":
							a.to[stems[k]] = true
						}
					}
					if t := valueType(words, k); t != "" {
						a.types[t] = true
					}
					ctx := a.around[stems[k]]
					if ctx == nil {
						ctx = map[string]bool{}
						a.around[stems[k]] = ctx
					}
					for j := max(0, k-valueReach); j <= min(len(words)-1, k+valueReach); j++ {
						if w := words[j]; !textproc.IsStop(w) && !textproc.HasDigit(w) && !names[strings.ToLower(w)] {
							ctx[stems[j]] = true
						}
					}
				}
			}
		}
		a.coverage, a.covers = cov/total, seen
		out[i] = a
		best = math.Max(best, out[i].coverage)
	}
	for i := range out {
		out[i].ok = out[i].coverage >= slotCoverage && out[i].coverage >= slotRelative*best
	}
	return out
}

func differ(a, b map[string]bool) bool {
	if len(a) != len(b) {
		return true
	}
	for v := range a {
		if !b[v] {
			return true
		}
	}
	return false
}

// resolveSlots reorders the results (best first) where candidates compete for the query's slot,
// and marks contradictions (whole: MayCompareWhole of each candidate; short: one short
// statement, isStatement). Among the competitors that state values, the positions they hold
// are kept and filled newest first. weight is the recency weight: 0 leaves the order alone.
// mark is false for a scorer without validity: it neither marks nor moves contradictions.
// idm holds each candidate's identifierMatch: a restatement holding less of the identifiers the
// query names ("tulip3") than the memory it restates does not move above it, as the query asks
// for that one by name. A restated short fact (one sentence, isStatement: a note, or a short
// first-person statement such as "I moved to Berlin") is superseded: its validity is multiplied
// by 1 - softness and its score follows at validityWeight (supersede).
func resolveSlots(out []Result, cands []Candidate, whole, short []bool, idm []float64, ans []answer, weight, softness, validityWeight float64, mark bool) {
	pos := map[int]int{} // candidate index -> position in out
	for p, r := range out {
		pos[r.Index] = p
	}
	// Contradictions: pairs of answering sentences of opposite polarity.
	var idx []int
	for _, r := range out {
		if ans[r.Index].ok {
			idx = append(idx, r.Index)
		}
	}
	for x := 0; x < len(idx) && mark; x++ {
		for y := x + 1; y < len(idx); y++ {
			a, b := idx[x], idx[y]
			if ans[a].negated != ans[b].negated {
				out[pos[a]].Conflicts = append(out[pos[a]].Conflicts, b)
				out[pos[b]].Conflicts = append(out[pos[b]].Conflicts, a)
			}
		}
	}
	if weight <= 0 {
		return
	}
	// The same slot: an older answering memory and a newer one whose best sentences are
	// near-duplicates (most of the shorter one's words are the longer one's, or the same words
	// around a changed value: swapsValue) with the values changed. The nearest newer one (its
	// direct successor) moves up to just above the older, then is looked at in turn (when it
	// answers the query itself), so that a chain of restatements (40, then 32, then 25 minutes)
	// ends newest first; each memory is looked at once, and nothing else moves up. A restated
	// short fact also falls to where its penalized score ranks, and so does an older one whose
	// successor has fallen (restatesStatement says when one short fact restates another). The chain goes
	// through direct successors only: a newer restatement of the older one that does not
	// restate its successor, or that follows a successor not answering the query, stays where
	// it is (letting every restatement pull its own, answering or not, brought weakly relevant
	// messages up from far down the list: see bench/RESULTS.md).
	// Between two short statements, sameKind is evidence too: values of one kind about one
	// thing, in other words than the query's (see sameKind, kindRelevance and sameThing).
	// Short single statements about a named subject are compared whole instead (see
	// MayCompareWhole and slotRecency): among them a decoy ("Alice's sister lives in Rome")
	// shares the words of the fact it is not.
	var best float64 // the best coverage of the query
	for i := range cands {
		best = math.Max(best, ans[i].coverage)
	}
	done := map[int]bool{}
	superseded := map[int]bool{} // short facts restated with a changed value, fallen
	head := map[int]int{}        // for each restatement moved up, the memory its chain began with
	for p := 0; p < len(out); p++ {
		a := out[p].Index
		if done[a] {
			continue
		}
		done[a] = true
		// A short statement that says less of the query than an answer must (weak) competes
		// all the same when it is about what the query asks as much as any candidate is
		// (restateCoverage of the best) and a newer one states a value of the same kind
		// (sameKind): "The partner API runs out of eu-central-1" and "… now lives in
		// ca-central-1", asked "Which region is the partner API deployed in?", say none of
		// "region" and "deployed". A restatement moved up in a chain has been judged to state
		// the query's slot: its own successor need only touch the query as it did (a chain of
		// three short facts, the last two in fewer of the query's words than the first).
		h, chained := head[a]
		about := ans[a].coverage >= restateCoverage*best || chained
		weak := !ans[a].ok && short[a] && ans[a].coverage >= slotFollowCoverage && about
		if !(ans[a].ok || weak) || len(ans[a].values) == 0 || whole[a] {
			continue
		}
		// A chain stays with the thing it began with: each restatement in it is held to the
		// first memory's relevance and coverage as well as its predecessor's, so that one
		// thing's facts do not lead, a link at a time, to another's.
		if !chained {
			h = a
		}
		bestQ := -1
		for q := p + 1; q < len(out); q++ {
			b := out[q].Index
			if !(ans[b].ok || ans[b].coverage >= slotFollowCoverage) || len(ans[b].values) == 0 || whole[b] || idm[b] < idm[a] || !newer(cands[b], cands[a]) || !differ(ans[a].values, ans[b].values) {
				continue
			}
			if bestQ >= 0 && !newer(cands[out[bestQ].Index], cands[b]) {
				continue // not nearer than the successor found: spare the comparison
			}
			statements := short[a] && short[b]
			kind := statements && about && sameKind(ans[a], ans[b]) && cands[b].Relevance >= kindRelevance*cands[h].Relevance && (h == a || sameThing(ans[h], ans[b]))
			if !kind && (weak || statements && !restatesStatement(ans[a], ans[b], best)) {
				continue
			}
			if overlap(ans[a].frame, ans[b].frame) >= frameOverlap || swapsValue(ans[a], ans[b]) {
				bestQ = q
			}
		}
		if bestQ < 0 {
			continue
		}
		b := out[bestQ].Index
		suppress := short[a] && short[b] && softness > 0 && validityWeight > 0
		if superseded[b] {
			// Its successor was restated in turn and has fallen: a is older still, and falls
			// too; nothing moves up (the newest is already above).
			if suppress {
				superseded[a] = true
				supersede(out, p, softness, validityWeight)
				p-- // the memory now at p is looked at next
			}
			continue
		}
		r := out[bestQ]
		head[b] = h
		r.Score = out[p].Score
		copy(out[p+1:bestQ+1], out[p:bestQ])
		out[p] = r
		if suppress {
			// A written-down fact restated with a changed value is superseded: it takes the
			// penalty of a possible supersession and falls to where its score now ranks.
			superseded[a] = true
			supersede(out, p+1, softness, validityWeight)
		}
		p-- // the restatement moved up is looked at next, for a newer one of its own
	}
}

// supersede gives the result at position p the penalty of a possible supersession (its validity
// times 1 - softness, its score as Rank would have made it with that validity, at validityWeight)
// and moves it down to where its score now ranks.
func supersede(out []Result, p int, softness, validityWeight float64) {
	o := &out[p]
	before := 1 - validityWeight*(1-o.Scores.Validity)
	o.Scores.Validity *= 1 - softness
	if before > 0 {
		o.Score *= (1 - validityWeight*(1-o.Scores.Validity)) / before
	}
	for k := p; k+1 < len(out) && out[k+1].Score > out[k].Score; k++ {
		out[k], out[k+1] = out[k+1], out[k]
	}
}

// slotFollowCoverage is the least coverage of the query by a newer memory that restates an
// answering one with a changed value (its frame overlapping as frameOverlap asks): an update is
// often shorter than the statement it updates and says less of what the question asks ("I've
// increased my kneading time to 15 minutes" after "… from 8 to 12 minutes for better gluten
// development in bread dough"), so it need only touch the query, at half of slotCoverage.
const slotFollowCoverage = slotCoverage / 2

// frameOverlap is the least share of the shorter sentence's words (values aside) that the
// longer one must hold for two sentences to state one thing.
const frameOverlap = 0.45

// valueReach is how many words on either side of a value say what it is the value of, and
// valueShared how many content stems two values' surroundings must share for one value to
// stand where the other stood: "the backup now takes 40 minutes to finish, can I speed up the
// compression step?" and, weeks later, "after switching to zstd my backup takes 25 minutes to
// finish, so what else should I tune?". Two chatty messages rarely share most of their words
// (frameOverlap) when one restates the other's fact in passing; the words next to the value
// they change, they do.
const (
	valueReach  = 4
	valueShared = 2
)

// swapsValue reports whether b states, in place of a value of a that b does not state, a value
// that a does not state, with at least valueShared of the same content stems around it.
func swapsValue(a, b answer) bool {
	for va, ca := range a.around {
		if b.values[va] {
			continue
		}
		for vb, cb := range b.around {
			if a.values[vb] {
				continue
			}
			n := 0
			for w := range ca {
				if cb[w] {
					n++
				}
			}
			if n >= valueShared {
				return true
			}
		}
	}
	return false
}

// restatesStatement reports whether b, newer, may restate a, both one short sentence (a note, a
// fact written down, not a chatty message): a whole statement says its fact in full, so a
// restatement of it answers the query nearly as fully (restateCoverage of a's coverage, the
// query's words weighted by their rarity among the candidates). Two facts about one thing share
// its name and little else: "The docs site listens on port 10000" does not say the "memory" of
// "How much memory may the docs site use?" that "The docs site may use 4096 MiB of memory" says.
// One fact about two things shares the attribute and not the name: "The rate limit of the
// session store is 2000 requests a minute" does not say the "SMS gateway" of a question about
// the SMS gateway's. A chatty message restates a fact in passing, in fewer of its words, and
// is not held to this (slotFollowCoverage).
//
// Both must also be about what the query asks, a at restateCoverage of the best coverage among
// the candidates: two facts about other things ("The rate limit of the session store …", "The
// rate limit of the tax calculator …", for a question about the SMS gateway's) answer it equally
// badly, and one is no restatement of the other.
func restatesStatement(aa, ab answer, best float64) bool {
	return aa.coverage >= restateCoverage*best && ab.coverage >= restateCoverage*aa.coverage
}

// restateCoverage is the least share of an answering statement's coverage of the query that a
// short restatement of it must have.
const restateCoverage = 0.8

// overlap is |a∩b| / min(|a|, |b|), 0 when either is empty.
func overlap(a, b map[string]bool) float64 {
	if len(a) == 0 || len(b) == 0 {
		return 0
	}
	n := 0
	for w := range a {
		if b[w] {
			n++
		}
	}
	return float64(n) / float64(min(len(a), len(b)))
}

// keepConflictsTogether moves, for each hit none of whose contradicting hits ranks above it, the
// highest-ranked of them up to just below it, so that the agent sees both sides together.
func keepConflictsTogether(out []Result) []Result {
	for p := 0; p < len(out); p++ {
		if len(out[p].Conflicts) == 0 {
			continue
		}
		partner := map[int]bool{}
		for _, j := range out[p].Conflicts {
			partner[j] = true
		}
		above := false
		for k := 0; k < p; k++ {
			above = above || partner[out[k].Index]
		}
		if above {
			continue
		}
		for q := p + 1; q < len(out); q++ {
			if !partner[out[q].Index] {
				continue
			}
			r := out[q]
			r.Score = out[p].Score
			copy(out[p+2:q+1], out[p+1:q])
			out[p+1] = r
			break
		}
	}
	return out
}

// valueType is the kind of value words[k] is, as far as its form says: the token's shape (runs
// of digits as "9", of letters as "a", other characters kept: "23:30" → "9:9", "eu-west-1" →
// "a-a-9", "alpine:3.18" → "a:9.9"; a URL that textproc.Words keeps whole, one with a digit, is
// "url"), after a number the word that follows it, its unit ("512 MiB" → "9 mib", "1200
// requests" → "9 request"), and, for a version or a number without a unit, the word before it,
// what it is the version or number of ("Redis 7.2.4" → "redi 9.9.9", "port 8080" → "port 9").
// It is "" where the form says nothing: a number alone ("listens on 8080", "a pool of 150"), a
// name, a word. Two values of one type stand for the same kind of thing (a time, a region, a
// memory size), which is what an update swaps: "The container may use 256 MiB of memory" and,
// later, "… is capped at 384 MiB of RAM" say few of the same words, and state the same kind of
// value.
func valueType(words []string, k int) string {
	w := words[k]
	if strings.Contains(w, "://") {
		return "url"
	}
	var b strings.Builder
	var last rune
	punct := false
	for _, r := range w {
		c := r
		switch {
		case unicode.IsDigit(r):
			c = '9'
		case unicode.IsLetter(r):
			c = 'a'
		default:
			punct = true
		}
		if c != last || (c != '9' && c != 'a') {
			b.WriteRune(c)
		}
		last = c
	}
	shape := b.String()
	if i := strings.IndexByte(w, '-'); shape == "9-a" && i > 0 {
		return "9 " + textproc.Stem(w[i+1:]) // "a 120-second timeout": 120 seconds
	}
	if shape == "9" || shape == "9.9" {
		if k+1 < len(words) && textproc.IsWord(words[k+1]) && !textproc.IsStop(words[k+1]) {
			return shape + " " + textproc.Stem(words[k+1])
		}
	}
	if strings.Trim(shape, "9.") == "" && k > 0 && textproc.IsWord(words[k-1]) && !textproc.IsStop(words[k-1]) {
		// A version is a version of something: "Postgres 15.4" and "Django 4.2" are two
		// things' versions, "Redis 7.2.4" and "Redis 7.4.0" one thing's; so is a number
		// ("port 8080").
		return textproc.Stem(words[k-1]) + " " + shape
	}
	if !punct || !textproc.HasDigit(w) {
		return "" // a bare number, a word, a name: any kind of thing
	}
	return shape
}

// sameKind reports whether two short statements, a and b, about what a query asks state values
// of one kind about one thing: b names the thing a names (sameThing), and, on evidence in their
// own words rather than the query's:
//
//   - values of one form (valueType): "… may use 256 MiB of memory", "… is capped at 384 MiB
//     of RAM";
//   - b carries a's value on to a new one: "… is rate-limited to 100 requests per minute",
//     "The rate limit … changed from 100 to 5000 per minute";
//   - their words other than the query's overlap (frameOverlap): "The warehouse listens on
//     port 8443", "The warehouse now listens on 4000", asked "Where do I connect to the
//     warehouse, which port?". Two facts about one thing share the query's words (its name)
//     and differ in their own ("listens on port 10000", "may use 4096 MiB of memory").
func sameKind(a, b answer) bool {
	if !sameThing(a, b) {
		return false // not about the same thing: "The ledger database has a memory limit of 768 MiB"
	}
	for t := range a.types {
		if b.types[t] {
			return true
		}
	}
	return carriesValue(a, b) || len(a.rest) > 0 && overlap(a.rest, b.rest) >= frameOverlap
}

// shared reports how many of the query's terms that a says b does not say, and the share of a's
// coverage of the query that b covers too (the terms weighted by rarity among the candidates).
// Two statements about one thing both name it as the query does; a restatement in other words
// may say its attribute in others ("memory" → "RAM"), while a fact about another thing shares
// at most the attribute's words ("memory limit"), which many things have.
func shared(a, b answer) (missing int, share float64) {
	var all, both float64
	for t, w := range a.covers {
		all += w
		if _, ok := b.covers[t]; ok {
			both += w
		} else {
			missing++
		}
	}
	if all == 0 {
		return missing, 0
	}
	return missing, both / all
}

// kindRelevance is the least relevance, as a share of the older statement's, of a newer one that
// sameKind links to it: the query that finds a statement about a thing finds another about that
// thing nearly as readily, and a fact about another thing with a value of the same kind (another
// service's memory limit, far down the candidates) is no restatement, whatever words it shares.
const kindRelevance = 0.5

// sameThing reports whether b names the thing a names, as far as the query's words tell: it
// says all but at most one of the query's terms that a says, and at least sharedCoverage of
// their weight.
func sameThing(a, b answer) bool {
	missing, share := shared(a, b)
	return missing <= 1 && share >= sharedCoverage
}

// sharedCoverage is the least share of an answering statement's coverage of the query that a
// statement of the same kind of value must cover too (shared).
const sharedCoverage = 0.5

// carriesValue reports whether b states a change from one of a's values, of at least two digits
// (a count of one digit is said of many things), to a value of its own: "… is rate-limited to
// 100 requests per minute", then "The rate limit … changed from 100 to 5000 per minute". Two
// numbers side by side ("keeps 100 idle connections and 20 spare ones") are no change.
func carriesValue(a, b answer) bool {
	carried := false
	for v := range a.values {
		if b.from[v] && digits(v) >= 2 {
			carried = true
			break
		}
	}
	if !carried {
		return false
	}
	for v := range b.to {
		if !a.values[v] {
			return true
		}
	}
	return false
}
