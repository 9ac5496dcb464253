package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/memsvc/memsvc/pager"
)

// The pager variant of the locomo suite: each conversation's turns are appended to an agent as
// messages, one per append, each on its session's date (the first speaker as the user, the
// second as the assistant, each turn's text as "<speaker>: <text>", as stored in archival), and
// the agent's window pages them out as it fills. Every question is then asked of recall search
// (conversation_search, pager.SearchRecall) the day after the last session, once the background
// embedder has embedded every message. Its row, "recall", is scored as the archival modes are.

// runLocomoRecall runs the pager variant over convs and scores it; items are the suite's
// questions, whose ranked and top entries for modeRecall it fills.
func runLocomoRecall(ctx context.Context, cfg *LocomoConfig, e *env, convs []Conversation, items []*locomoItem) (*LocomoMode, error) {
	total := 0
	for _, c := range convs {
		for _, s := range c.Sessions {
			total += len(s.Turns)
		}
	}
	refs := map[string]turnRef{} // message id -> turn
	var probes []*recallProbe
	byProbe := map[*recallProbe]*locomoItem{}
	prog := newProgress(&cfg.Common, "locomo: append messages", total)
	for i := range convs {
		c := &convs[i]
		// The clock reads the session's date, then the day after the last session.
		svc, agentID, at, err := e.clockedAgent(ctx, "locomo recall "+c.ID)
		if err != nil {
			return nil, err
		}
		for _, s := range c.Sessions {
			at.Store(s.Date.UnixNano())
			for _, t := range s.Turns {
				role := "user"
				if t.Speaker != c.SpeakerA {
					role = "assistant"
				}
				r, err := svc.Append(ctx, agentID, []pager.MessageInput{{Role: role, Name: t.Speaker, Content: t.Passage()}})
				if err != nil {
					return nil, fmt.Errorf("locomo: %s %s: %w", c.ID, t.DiaID, err)
				}
				refs[r.Messages[len(r.Messages)-1].ID] = turnRef{t.DiaID, t.Speaker}
				prog.add(1)
			}
		}
		at.Store(c.LastDate().Truncate(24 * time.Hour).Add(24 * time.Hour).UnixNano())
		if _, err := svc.EmbedPending(ctx); err != nil {
			return nil, fmt.Errorf("locomo: embed %s's messages: %w", c.ID, err)
		}
		for _, it := range items {
			if it.conv == c {
				p := &recallProbe{probeSides: probeSides{question: it.qa.Question}, agentID: agentID, svc: svc}
				probes = append(probes, p)
				byProbe[p] = it
			}
		}
	}
	prog.finish()
	lat, err := runRecallSearches(ctx, &cfg.Common, "locomo: recall search", probes)
	if err != nil {
		return nil, err
	}
	for _, p := range probes {
		it := byProbe[p]
		for i, id := range p.ids {
			it.ranked[modeRecall] = append(it.ranked[modeRecall], refs[id].diaID)
			if i == 0 {
				it.top[modeRecall] = refs[id].speaker
			}
		}
	}
	out := scoreLocomo(modeRecall, items)
	out.SearchP50MS = lat
	return out, nil
}
