package pager

import (
	"context"
	"time"

	"github.com/memsvc/memsvc/state"
)

// Compact compacts an agent's main context on request: it evicts the oldest messages down to
// target_ratio as a flush would (keeping keep_last), and queues a compaction that folds every
// evicted message not yet in the running summary into it. With nothing to evict it still queues
// one, which checks the summary's provenance (rebuilding a stale summary) and folds what earlier
// compactions left. Both happen in one paging step.
func (s *Service) Compact(ctx context.Context, agentID string) (state.Compaction, error) {
	var queued state.Compaction
	var events []Event
	err := s.cfg.Store.Page(ctx, agentID, func(ctx context.Context, p state.Page) (state.Change, error) {
		a := p.Agent()
		msgs, err := p.InContext(ctx)
		if err != nil {
			return state.Change{}, err
		}
		now := s.now()
		ctr := a.Context
		ch := state.Change{}
		if ev := s.evict(a, &ctr, msgs, state.ReasonRequested, now); ev != nil {
			ch.EvictThrough, ch.Queue, ch.Context = ev.through, ev.queued, &ctr
			events = ev.events
		} else {
			through := ctr.LastSeq
			if len(msgs) > 0 {
				through = msgs[0].Seq - 1
			}
			from := int64(1)
			if sum, err := p.Summary(ctx); err != nil {
				return state.Change{}, err
			} else if sum != nil {
				from = sum.ThroughSeq + 1
			}
			ch.Queue = &state.Compaction{ID: state.NewID("cmp"), AgentID: a.ID, Reason: state.ReasonRequested,
				Status: state.CompactionQueued, FromSeq: from, ThroughSeq: through, CreatedAt: now}
			events = []Event{{Type: EventCompactionQueued, JobID: ch.Queue.ID}}
		}
		queued = *ch.Queue
		return ch, nil
	})
	if err != nil {
		return state.Compaction{}, agentErr(agentID, err)
	}
	for _, e := range events {
		if s.cfg.OnEvent != nil {
			s.cfg.OnEvent(agentID, e)
		}
	}
	return queued, nil
}

// Store returns the state store the service pages through.
func (s *Service) Store() state.Store { return s.cfg.Store }

// Now is the service's clock, in UTC.
func (s *Service) Now() time.Time { return s.now() }
