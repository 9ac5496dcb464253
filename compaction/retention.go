package compaction

import (
	"context"
	"strings"
	"unicode"

	"github.com/memsvc/memsvc/archival"
	"github.com/memsvc/memsvc/state"
	"github.com/memsvc/memsvc/validity"
)

// The retention check is a semantic checksum of a summary: every pinned message's facts must
// survive in the summary or in archival memory. A message's facts are its numbers (any word with a
// digit), its names (validity.Entities) and its key terms (words of four letters or more that are
// not function words). Words are compared lowercased, with a few inflections stripped, so that
// "allergic to peanuts" keeps "peanut".

// Facts returns the facts of a text, in order of first mention, without repeats.
func Facts(text string) []string {
	var out []string
	seen := map[string]bool{}
	add := func(f string) {
		if f != "" && !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	for _, w := range words(text) {
		switch {
		case hasDigit(w):
			add(strings.Trim(w, ".,:;-/"))
		case len([]rune(w)) >= 4 && !stopwords[strings.ToLower(w)]:
			add(stem(strings.ToLower(w)))
		}
	}
	for _, e := range validity.Entities(text) {
		add(stem(e))
	}
	return out
}

// words splits text into words, keeping the inner punctuation of numbers and codes (4.5, 10:30,
// A-12, 2026-01-02) whole.
func words(text string) []string {
	return strings.FieldsFunc(text, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '.' && r != ':' && r != '-' && r != '/' && r != '\'' && r != '’'
	})
}

func hasDigit(w string) bool {
	return strings.IndexFunc(w, unicode.IsDigit) >= 0
}

// stem strips a possessive and a few inflections, leaving at least four letters.
func stem(w string) string {
	w = strings.Trim(w, ".:-/'’")
	for _, suf := range []string{"'s", "’s"} {
		w = strings.TrimSuffix(w, suf)
	}
	for _, suf := range []string{"ing", "ed", "es", "s"} {
		if strings.HasSuffix(w, suf) && len(w)-len(suf) >= 4 {
			return strings.TrimSuffix(w, suf)
		}
	}
	return w
}

// vocabulary is the set of fact forms a text holds: its numbers as written and its words stemmed.
func vocabulary(text string) map[string]bool {
	v := map[string]bool{}
	for _, w := range words(text) {
		if hasDigit(w) {
			v[strings.Trim(w, ".,:;-/")] = true
			continue
		}
		v[stem(strings.ToLower(w))] = true
	}
	return v
}

// missingFrom returns the facts that text does not hold.
func missingFrom(facts []string, text string) []string {
	v := vocabulary(text)
	var out []string
	for _, f := range facts {
		if !v[f] {
			out = append(out, f)
		}
	}
	return out
}

// pinnedFacts is one pinned message and its facts.
type pinnedFacts struct {
	msg   state.Message
	facts []string
}

func factsOf(pinned []state.Message) []pinnedFacts {
	var out []pinnedFacts
	for _, m := range pinned {
		if f := Facts(m.Content); len(f) > 0 {
			out = append(out, pinnedFacts{m, f})
		}
	}
	return out
}

// retention checks the pinned facts against a summary text and the agent's valid archival
// passages. It returns the share kept, and the facts missing per message (only messages that miss
// some).
func (s *Service) retention(ctx context.Context, agentID, text string, pinned []pinnedFacts) (float64, []pinnedFacts, error) {
	total, kept := 0, 0
	var missing []pinnedFacts
	for _, pf := range pinned {
		total += len(pf.facts)
		miss := missingFrom(pf.facts, text)
		if len(miss) > 0 {
			var err error
			if miss, err = s.notInArchival(ctx, agentID, miss); err != nil {
				return 0, nil, err
			}
		}
		kept += len(pf.facts) - len(miss)
		if len(miss) > 0 {
			missing = append(missing, pinnedFacts{pf.msg, miss})
		}
	}
	if total == 0 {
		return 1, nil, nil
	}
	return float64(kept) / float64(total), missing, nil
}

// notInArchival returns the facts that no valid passage of the agent holds, searching lexically.
func (s *Service) notInArchival(ctx context.Context, agentID string, facts []string) ([]string, error) {
	hits, err := s.cfg.Archival.Search(ctx, archival.Query{AgentID: agentID, Text: strings.Join(facts, " "), K: 20})
	if err != nil {
		return nil, err
	}
	left := facts
	for _, h := range hits {
		if len(left) == 0 {
			break
		}
		left = missingFrom(left, h.Passage.Text)
	}
	return left, nil
}

// stopwords are function words and fillers that carry no fact. Negations are not among them.
var stopwords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`about above after again against also although always another anyone anything
		around because been before being below between both could does doing done down during each either else
		enough even every everything from further have having here hers herself himself into itself just like
		made make many maybe more most much must myself once only other ought ours ourselves over please quite
		rather really said same says shall should since some someone something such than that their theirs them
		themselves then there these they thing things this those though through thus together told under until
		upon very want wants was were what whatever when where whether which while will with within without
		would your yours yourself yourselves hello thanks thank okay sure well yeah note remember keep mind
		user assistant`) {
		m[w] = true
	}
	return m
}()
