package validity

import (
	"maps"
	"math"
	"strings"

	"github.com/memsvc/memsvc/textproc"
)

// predicateTerms returns the content words of a text as stems, without the names in skip
// (the subject is scored on its own) and without function words. The words of a key's
// attribute ("alice/favourite_food" → "favourite", "food") count as the memory's own words: a
// key names what the memory is about, whatever words its text uses.
//
// predicateMatch adds the words of a keyed memory's slot (Candidate.SlotTexts): a key declares
// one slot, so the words of one of its values ("Alice lives in Paris") describe the others
// ("Alice moved to Berlin"), whatever key the agent chose ("k17").
//
// A memory's context (Candidate.Context: the message it answers) says what the memory is about
// as much as its text: "Yes, every Sunday" stored with "Do you still sing in the choir?" answers
// a question about the choir. predicateMatch adds its words.
//
// A memory's text also says the nouns its verbs and particles make ("is backed up" says
// "backup": textproc.Compound), so that it answers a question asking for the noun; a question's
// own phrasal verbs are taken as written (compounds false), so that "Have I set up X?" asks
// for "set" as it did, and a memory that says "set up" does not count twice.
func predicateTerms(key, text string, skip map[string]bool, compounds bool) map[string]bool {
	out := map[string]bool{}
	add := func(s string) {
		words := textproc.Words(s)
		for i, w := range words {
			if compounds && i+1 < len(words) {
				if c := textproc.Compound(w, words[i+1]); c != "" {
					out[c] = true // "backed up" says "backup"
				}
			}
			w = strings.ToLower(w)
			if notNames[w] || textproc.IsStop(w) || skip[w] {
				continue
			}
			out[textproc.Stem(w)] = true
		}
	}
	add(text)
	add(KeyAttribute(key))
	return out
}

// predicateMatch scores how much of what the query asks each candidate says. What it asks are
// its content words other than the names of subjects (subjects holds the candidates' subjects,
// see SubjectOf), which the subject term scores; other names are content ("What did Caroline
// think of Becoming Nicole?" asks about the book). The score is the square root of the share
// of the query's terms a candidate contains, each weighted by its inverse document frequency
// over the candidates, so that a word every candidate shares counts little. The square root
// credits a partial match of a long question more than proportionally: one rare word of five
// is already evidence. A query with no content words matches every candidate fully.
func predicateMatch(q string, cands []Candidate, subjects []string) ([]float64, map[string]bool, map[string]float64) {
	isSubject := map[string]bool{}
	for _, s := range subjects {
		isSubject[s] = true
	}
	skip := map[string]bool{}
	for _, n := range Entities(q) {
		if isSubject[n] {
			skip[n] = true
		}
	}
	qt := predicateTerms("", q, skip, false)
	out := make([]float64, len(cands))
	if len(qt) == 0 {
		for i := range out {
			out[i] = 1
		}
		return out, qt, nil
	}
	terms := make([]map[string]bool, len(cands))
	df := map[string]int{}
	slots := map[string]map[string]bool{} // a key's words, from its SlotTexts, worked out once
	for i, c := range cands {
		terms[i] = predicateTerms(c.Key, c.Text, skip, true)
		if c.Context != "" {
			maps.Copy(terms[i], predicateTerms("", c.Context, skip, true))
		}
		if c.Key != "" && len(c.SlotTexts) > 0 {
			st, ok := slots[c.Key]
			if !ok {
				st = map[string]bool{}
				for _, t := range c.SlotTexts {
					maps.Copy(st, predicateTerms("", t, skip, true))
				}
				slots[c.Key] = st
			}
			maps.Copy(terms[i], st)
		}
		for t := range qt {
			if terms[i][t] {
				df[t]++
			}
		}
	}
	n := float64(len(cands))
	idf := map[string]float64{}
	var total float64
	for t := range qt {
		idf[t] = math.Log(1 + (n+1)/(float64(df[t])+0.5))

		total += idf[t]
	}
	for i := range cands {
		var s float64
		for t := range qt {
			if terms[i][t] {
				s += idf[t]
			}
		}
		out[i] = math.Sqrt(s / total)
	}
	return out, qt, idf
}

// attributeMatch raises the predicate match of keyed memories by how close their key's
// attribute is to the query in meaning (AttributeCosine, embedded by the caller): the keyed
// memories whose attribute is nearest the query match at share, and one whose attribute is
// further by d at share·exp(-d/temperature). A query "Where does Alice live?" thus finds
// "alice/city" whatever words the memory uses. Words are trusted over closeness in meaning
// (share < 1): a general-purpose embedder easily finds "city" closer than "employer" to
// "Where does Alice work?". Nothing changes when no candidate carries an attribute cosine.
func attributeMatch(pred []float64, cands []Candidate, temperature, share float64) {
	if temperature <= 0 || share <= 0 {
		return
	}
	best, any := math.Inf(-1), false
	for _, c := range cands {
		if c.Key != "" && c.AttributeCosine != 0 {
			best, any = math.Max(best, c.AttributeCosine), true
		}
	}
	if !any {
		return
	}
	for i, c := range cands {
		if c.Key != "" && c.AttributeCosine != 0 {
			pred[i] = math.Max(pred[i], share*math.Exp((c.AttributeCosine-best)/temperature))
		}
	}
}

// askedSlot finds the slot a query asks about by meaning where no key declares it, and raises
// the predicate match of its statements to at least share. Among the candidates about a subject
// the query names, the one nearest the query (Candidate.QueryCosine) names the slot: its
// slotGroups group. Every member of that group, older values included (recency then orders
// them), matches at least share, whatever words it uses: "Alice joined Stonegate Media this
// month" answers "Where does Alice work?" without the word "work". A statement of another slot
// that shares a word with the query by chance ("Alice brought home a husky" for "Where is
// Alice's home?") keeps its word match; the raise only gives the asked slot a match to set
// against it.
//
// The nearest statement is a better guide than the query's words (under the default embedder
// it is one of the slot's values for 0.93 of the stale suite's questions when only the slots'
// values are compared, against 0.65 under GloVe-SIF alone: TestQuestionFindsItsSlot; decoys in
// the pool lower that), but one statement at a time it is often a near tie, so the match goes to
// the group, as a slot, rather than to statements by their own distance. Nothing changes when
// the nearest candidate about the subject is in no group (a message, a note), when no candidate
// carries a query cosine, when groups are off (Config.GlobalRecency), or when a candidate about
// the subject has a key: a key is the agent's own declaration of a slot, which the key rule and
// attributeMatch already read, and a slot guessed from meaning is not put above it.
func askedSlot(pred []float64, cands []Candidate, subjects, qNames []string, groups []int, share float64) {
	if share <= 0 || len(groups) != len(cands) || len(qNames) == 0 {
		return
	}
	asked := map[string]bool{}
	for _, n := range qNames {
		asked[n] = true
	}
	nearest := -1
	for i, c := range cands {
		if !asked[subjects[i]] {
			continue
		}
		if c.Key != "" {
			return
		}
		if c.QueryCosine != 0 && !math.IsNaN(c.QueryCosine) && (nearest < 0 || c.QueryCosine > cands[nearest].QueryCosine) {
			nearest = i
		}
	}
	if nearest < 0 || groups[nearest] < 0 {
		return
	}
	for i := range cands {
		if groups[i] == groups[nearest] {
			pred[i] = math.Max(pred[i], share)
		}
	}
}
