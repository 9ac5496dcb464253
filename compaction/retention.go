package compaction

import (
	"context"
	"strings"

	"github.com/memsvc/memsvc/archival"
	"github.com/memsvc/memsvc/state"
	"github.com/memsvc/memsvc/validity"
)

// The retention check is a semantic checksum of a summary: every pinned message's facts must
// survive in the summary or in archival memory. A message's facts are its numbers (any word with a
// digit), its names (validity.Entities) and its key terms (words of four letters or more that are
// not function words). Words are compared as textproc stems them (Porter2), so that "allergic to
// peanuts" keeps "peanut"; numbers and codes as written.

// Facts returns the facts of a text (validity.Facts): its numbers, names and key terms.
func Facts(text string) []string { return validity.Facts(text) }

// missingFrom returns the facts that text does not hold.
func missingFrom(facts []string, text string) []string {
	v := validity.Vocabulary(text)
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
