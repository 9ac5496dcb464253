package compaction

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/memsvc/memsvc/archival"
	"github.com/memsvc/memsvc/pager"
	"github.com/memsvc/memsvc/state"
)

// A summary draws on archival passages: the previous summary's (whose text it folds) and those its
// source messages cite, such as the results of archival_memory_insert and archival_memory_search
// tool calls. They are recorded as state.Summary.SourcePassageIDs, carried from summary to summary
// (at most maxSourcePassages, the newest kept).
const maxSourcePassages = 256

var passageRef = regexp.MustCompile(`\bpsg_[0-9a-z]+\b`)

// citedPassages returns the passage IDs a message cites, in its content or its tool calls.
func citedPassages(m state.Message) []string {
	ids := passageRef.FindAllString(m.Content, -1)
	return append(ids, passageRef.FindAllString(string(m.ToolCalls), -1)...)
}

// sourcePassages is the provenance of a summary folding msgs into prev (nil for a rebuild).
func sourcePassages(prev *state.Summary, msgs []state.Message) []string {
	var ids []string
	if prev != nil {
		skip := ""
		if prev.PreviousID != "" {
			skip = pager.SummaryPassageID(prev.PreviousID) // the summary before prev, which prev folded
		}
		for _, id := range prev.SourcePassageIDs {
			if id != skip {
				ids = append(ids, id)
			}
		}
		if prev.Text != "" {
			ids = append(ids, pager.SummaryPassageID(prev.ID))
		}
	}
	for _, m := range msgs {
		ids = append(ids, citedPassages(m)...)
	}
	// Keep the last mention of each, newest last, then the newest maxSourcePassages.
	seen := map[string]bool{}
	var out []string
	for i := len(ids) - 1; i >= 0; i-- {
		if !seen[ids[i]] {
			seen[ids[i]] = true
			out = append(out, ids[i])
		}
	}
	if len(out) > maxSourcePassages {
		out = out[:maxSourcePassages]
	}
	slices.Reverse(out)
	return out
}

// staleness is what the provenance check found: the passages a summary drew on that are no
// longer valid, and why.
type staleness struct {
	passages []string
	cause    string
}

// checkProvenance checks the passages the current summary drew on (and its own passage). When one
// is superseded, invalidated or gone, it flags every summary of the agent that drew on one of them
// stale, invalidates their archival passages, and reports the stale passages; the caller rebuilds
// the summary without the messages that cited them.
func (s *Service) checkProvenance(ctx context.Context, agentID string, cur *state.Summary) (*staleness, error) {
	if cur == nil {
		return nil, nil
	}
	check := slices.Clone(cur.SourcePassageIDs)
	if cur.Text != "" {
		check = append(check, pager.SummaryPassageID(cur.ID))
	}
	var stale []string
	var causes []string
	for _, id := range check {
		p, err := s.cfg.Archival.Get(ctx, agentID, id)
		switch {
		case errors.Is(err, archival.ErrNotFound):
			if id == pager.SummaryPassageID(cur.ID) && cur.PassageID == "" {
				continue // not archived yet: it waits in the outbox
			}
			stale = append(stale, id)
			causes = append(causes, id+" was deleted")
		case err != nil:
			return nil, err
		case p.Status != archival.StatusValid:
			stale = append(stale, id)
			causes = append(causes, fmt.Sprintf("%s is %s", id, p.Status))
		}
	}
	if cur.Status == state.SummaryStale && len(stale) == 0 {
		return &staleness{cause: cur.StaleCause}, nil
	}
	if len(stale) == 0 {
		return nil, nil
	}
	st := &staleness{passages: stale, cause: "drew on passages no longer valid: " + strings.Join(causes, "; ")}
	sums, err := s.cfg.Store.ListSummaries(ctx, agentID)
	if err != nil {
		return nil, err
	}
	var flag []string
	for _, sum := range sums {
		if sum.Status == state.SummaryStale {
			continue
		}
		own := pager.SummaryPassageID(sum.ID)
		if slices.Contains(stale, own) || slices.ContainsFunc(sum.SourcePassageIDs, func(id string) bool { return slices.Contains(stale, id) }) {
			flag = append(flag, sum.ID)
		}
	}
	if err := s.cfg.Store.FlagSummaries(ctx, agentID, flag, st.cause); err != nil {
		return nil, err
	}
	for _, id := range flag {
		if err := s.invalidateSummaryPassage(ctx, agentID, id, st.cause); err != nil {
			return nil, err
		}
	}
	s.cfg.Logger.Info("summaries flagged stale; rebuilding", "agent", agentID, "summaries", flag, "cause", st.cause)
	return st, nil
}

// invalidateSummaryPassage invalidates a stale summary's archival passage, so that searches no
// longer find the stale fact in it; the history records why.
func (s *Service) invalidateSummaryPassage(ctx context.Context, agentID, summaryID, cause string) error {
	id := pager.SummaryPassageID(summaryID)
	return s.cfg.Pager.UpdateArchival(ctx, agentID, []string{id}, func(cur []*archival.Passage) ([]archival.Passage, error) {
		if cur[0] == nil || cur[0].Status != archival.StatusValid {
			return nil, nil
		}
		p, now := *cur[0], s.now()
		p.Status, p.ValidTo, p.Cause = archival.StatusInvalidated, &now, "summary "+summaryID+" is stale: "+cause
		return []archival.Passage{p}, nil
	})
}

// dropCiting removes the messages that cite a stale passage, with the assistant tool call whose
// result cites it.
func dropCiting(msgs []state.Message, stale []string) []state.Message {
	if len(stale) == 0 {
		return msgs
	}
	cites := func(m state.Message) bool {
		return slices.ContainsFunc(citedPassages(m), func(id string) bool { return slices.Contains(stale, id) })
	}
	dropCalls := map[string]bool{}
	for _, m := range msgs {
		if m.ToolCallID != "" && cites(m) {
			dropCalls[m.ToolCallID] = true
		}
	}
	var out []state.Message
	for _, m := range msgs {
		if cites(m) || m.ToolCallID != "" && dropCalls[m.ToolCallID] || callsAny(m, dropCalls) {
			continue
		}
		out = append(out, m)
	}
	return out
}

func callsAny(m state.Message, ids map[string]bool) bool {
	if len(m.ToolCalls) == 0 || len(ids) == 0 {
		return false
	}
	for id := range ids {
		if strings.Contains(string(m.ToolCalls), `"`+id+`"`) {
			return true
		}
	}
	return false
}
