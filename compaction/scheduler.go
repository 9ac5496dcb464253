package compaction

import (
	"context"
	"errors"
	"sort"
	"time"

	"github.com/riverqueue/river"

	"github.com/memsvc/memsvc/state"
)

// jobArgs is a River job: run compaction CompactionID as generation Generation. Unique by its
// arguments, so handing one generation out twice inserts one job.
type jobArgs struct {
	CompactionID string `json:"compaction_id"`
	Generation   int    `json:"generation"`
}

func (jobArgs) Kind() string { return "memsvc.compaction" }

// Plan is one scheduling decision.
type Plan struct {
	// Dispatch are the compactions to hand out now, most owed first.
	Dispatch []state.Compaction
	// Throttled are the agents over budget for the current period.
	Throttled []string
	// Floor is the new virtual-time floor.
	Floor float64
	// WakeAt is when a throttled agent's period ends (zero for none).
	WakeAt time.Time
}

// plan decides what to hand out from st at now, with room for free more compactions. It is the
// CFS-like pick: every runnable agent's virtual time is its account's, but at least the floor less
// the sleeper credit; agents over budget in the current period wait; the rest go least virtual
// time first (then oldest compaction first). The floor rises to the least virtual time among the
// runnable agents, never falling.
func plan(st state.SchedulerState, now time.Time, budget Budget, credit float64, free int) Plan {
	p := Plan{Floor: st.Floor}
	type cand struct {
		c state.Compaction
		v float64
	}
	var cands []cand
	period := periodStart(now, budget)
	for _, r := range st.Runnable {
		v := max(r.Account.VRuntime, st.Floor-credit)
		if budget.Tokens > 0 && r.Account.PeriodStart.Equal(period) && r.Account.PeriodTokens >= budget.Tokens {
			p.Throttled = append(p.Throttled, r.Next.AgentID)
			if end := period.Add(budget.Period); p.WakeAt.IsZero() || end.Before(p.WakeAt) {
				p.WakeAt = end
			}
			continue
		}
		cands = append(cands, cand{r.Next, v})
	}
	sort.SliceStable(cands, func(i, j int) bool {
		a, b := cands[i], cands[j]
		if a.v != b.v {
			return a.v < b.v
		}
		if !a.c.CreatedAt.Equal(b.c.CreatedAt) {
			return a.c.CreatedAt.Before(b.c.CreatedAt)
		}
		return a.c.ID < b.c.ID
	})
	if len(cands) > 0 && cands[0].v > p.Floor {
		p.Floor = cands[0].v
	}
	for i := 0; i < len(cands) && i < free; i++ {
		p.Dispatch = append(p.Dispatch, cands[i].c)
	}
	return p
}

// periodStart is the start of the budget period holding now (periods are aligned on the clock).
func periodStart(now time.Time, b Budget) time.Time {
	if b.Period <= 0 {
		return time.Time{}
	}
	return now.Truncate(b.Period).UTC()
}

// Tick runs the scheduler once: it hands out again the compactions whose job died (lease
// expired), then the most owed runnable ones while fewer than Workers are out. It returns how
// many it handed out. It is internal work over every tenant's agents (state.AllTenants).
func (s *Service) Tick(ctx context.Context) (int, error) {
	ctx = state.AllTenants(ctx)
	now := s.now()
	// With every worker's compaction out, the runnable agents are not read: most ticks while a
	// backlog drains find no free worker (a worker rests after each job, see rest), and reading
	// every queued compaction on each of them cost more CPU than the jobs did.
	st, err := s.cfg.Store.Scheduler(ctx, now, s.cfg.Workers)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, c := range st.Expired {
		s.cfg.Logger.Info("compaction lease expired; handing it out again", "compaction", c.ID, "agent", c.AgentID,
			"generation", c.Generation)
		ok, err := s.dispatch(ctx, c, st.Floor, now)
		if err != nil {
			return n, err
		}
		if ok {
			n++
			s.metrics.redispatched.Inc()
		}
	}
	if st.Skipped {
		return n, nil
	}
	p := plan(st, now, s.cfg.Budget, s.cfg.SleeperCredit, s.cfg.Workers-st.InFlight-n)
	s.metrics.throttled.Set(float64(len(p.Throttled)))
	if p.Floor > st.Floor {
		if err := s.cfg.Store.AdvanceFloor(ctx, p.Floor); err != nil {
			return n, err
		}
	}
	for _, c := range p.Dispatch {
		ok, err := s.dispatch(ctx, c, p.Floor, now)
		if err != nil {
			return n, err
		}
		if ok {
			n++
		}
	}
	return n, nil
}

// dispatch hands compaction c out as its next generation: first the store's record (which another
// replica may win: false), then the River job. A crash between the two leaves the compaction out
// with no job; its lease expires and the next Tick hands it out again.
func (s *Service) dispatch(ctx context.Context, c state.Compaction, floor float64, now time.Time) (bool, error) {
	// Long enough for a free worker to fetch it.
	lease := now.Add(s.cfg.Lease + 2*s.cfg.PollInterval)
	err := s.cfg.Store.DispatchCompaction(ctx, c.ID, c.Generation, lease, floor)
	if errors.Is(err, state.ErrConflict) || errors.Is(err, state.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	gen := c.Generation + 1
	if _, err := s.queue.Insert(ctx, jobArgs{CompactionID: c.ID, Generation: gen}, &river.InsertOpts{
		Queue: queueName, MaxAttempts: s.cfg.MaxAttempts, UniqueOpts: river.UniqueOpts{ByArgs: true},
	}); err != nil {
		s.cfg.Logger.Warn("insert compaction job; its lease will expire and it is handed out again",
			"compaction", c.ID, "err", err)
		return true, nil
	}
	s.metrics.dispatched.Inc()
	s.metrics.wait.Observe(now.Sub(c.CreatedAt).Seconds())
	return true, nil
}
