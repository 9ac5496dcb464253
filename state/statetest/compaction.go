package statetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/memsvc/memsvc/state"
)

// testCompactions exercises state.CompactionStore: queueing with a paging step, the scheduler's
// view, hand-out by generation (one per agent), claims, leases, retries, the idempotent finish
// (one summary per compaction), coalescing, the account charge and the provenance flags.
func testCompactions(t *testing.T, s state.Store) {
	cs, ok := s.(state.CompactionStore)
	if !ok {
		t.Skip("the store keeps no compactions")
	}
	ctx := state.AllTenants(context.Background())
	now := time.Now().UTC().Truncate(time.Millisecond)
	a := newAgent(t, s)
	b := newAgent(t, s)
	msgs := appendN(t, s, a.ID, "m1", "m2", "m3")
	pin := appendPinned(t, s, a.ID, "My locker code is 4812.")
	queue := func(agentID string, through int64) state.Compaction {
		t.Helper()
		c := state.Compaction{ID: state.NewID("cmp"), AgentID: agentID, Reason: state.ReasonEvicted, FromSeq: 1,
			ThroughSeq: through, CreatedAt: now}
		err := s.Page(ctx, agentID, func(ctx context.Context, p state.Page) (state.Change, error) {
			return state.Change{EvictThrough: through, Queue: &c}, nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	c1 := queue(a.ID, 2)
	time.Sleep(2 * time.Millisecond)
	c2 := queue(a.ID, 3)
	cb := queue(b.ID, 0)

	got, err := cs.GetCompaction(ctx, c1.ID)
	if err != nil || got.Status != state.CompactionQueued || got.Generation != 0 || got.ThroughSeq != 2 || got.AgentID != a.ID {
		t.Fatalf("queued compaction: %+v, %v", got, err)
	}
	if _, err := cs.GetCompaction(ctx, "cmp_missing"); !errors.Is(err, state.ErrNotFound) {
		t.Fatalf("unknown compaction: %v", err)
	}
	st, err := cs.Scheduler(ctx, now, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Runnable) != 2 || st.InFlight != 0 || len(st.Expired) != 0 {
		t.Fatalf("scheduler: %+v", st)
	}
	for _, r := range st.Runnable {
		if r.Next.AgentID == a.ID && r.Next.ID != c1.ID {
			t.Fatalf("agent a's next compaction is %s, want the oldest %s", r.Next.ID, c1.ID)
		}
	}

	lease := now.Add(time.Minute)
	if err := cs.DispatchCompaction(ctx, c1.ID, 0, lease, 1.5); err != nil {
		t.Fatal(err)
	}
	if err := cs.DispatchCompaction(ctx, c1.ID, 0, lease, 1.5); !errors.Is(err, state.ErrConflict) {
		t.Fatalf("second hand-out of one generation: %v, want ErrConflict", err)
	}
	if err := cs.DispatchCompaction(ctx, c2.ID, 0, lease, 1.5); !errors.Is(err, state.ErrConflict) {
		t.Fatalf("a second compaction of an agent in flight: %v, want ErrConflict", err)
	}
	st, _ = cs.Scheduler(ctx, now, 0)
	if len(st.Runnable) != 1 || st.Runnable[0].Next.ID != cb.ID || st.InFlight != 1 || st.Skipped {
		t.Fatalf("scheduler with one in flight: %+v", st)
	}
	// Every slot taken: the runnable agents are not read, the rest of the view is.
	if st, _ = cs.Scheduler(ctx, now, 1); !st.Skipped || len(st.Runnable) != 0 || st.InFlight != 1 || st.Floor != 0 {
		t.Fatalf("scheduler with its one slot taken: %+v", st)
	}
	if st, _ = cs.Scheduler(ctx, now, 2); st.Skipped || len(st.Runnable) != 1 {
		t.Fatalf("scheduler with a slot free: %+v", st)
	}
	if q, _ := cs.QueuedCompactions(ctx, a.ID); len(q) != 1 || q[0].ID != c2.ID {
		t.Fatalf("queued compactions of a: %+v", q)
	}

	if _, err := cs.StartCompaction(ctx, c1.ID, 2, now, lease); !errors.Is(err, state.ErrConflict) {
		t.Fatalf("start with a future generation: %v", err)
	}
	run, err := cs.StartCompaction(ctx, c1.ID, 1, now, lease)
	if err != nil || run.Status != state.CompactionRunning || run.Attempts != 1 || run.VFloor != 1.5 || run.StartedAt == nil {
		t.Fatalf("start: %+v, %v", run, err)
	}
	if err := cs.RenewCompaction(ctx, c1.ID, 1, lease.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := cs.RetryCompaction(ctx, c1.ID, 1, "model down", lease); err != nil {
		t.Fatal(err)
	}
	if got, _ := cs.GetCompaction(ctx, c1.ID); got.Status != state.CompactionQueued || got.Error != "model down" {
		t.Fatalf("after retry: %+v", got)
	}
	// The lease expires: the scheduler sees it, and hands it out again as generation 2.
	later := lease.Add(time.Second)
	st, _ = cs.Scheduler(ctx, later, 0)
	if len(st.Expired) != 1 || st.Expired[0].ID != c1.ID || st.InFlight != 0 {
		t.Fatalf("expired lease: %+v", st)
	}
	if err := cs.DispatchCompaction(ctx, c1.ID, 1, later.Add(time.Minute), 2); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.StartCompaction(ctx, c1.ID, 1, later, later.Add(time.Minute)); !errors.Is(err, state.ErrConflict) {
		t.Fatalf("the stale generation started: %v", err)
	}
	run, err = cs.StartCompaction(ctx, c1.ID, 2, later, later.Add(time.Minute))
	if err != nil || run.Attempts != 2 || run.Generation != 2 {
		t.Fatalf("start generation 2: %+v, %v", run, err)
	}

	// Finish with a summary, covering c2, charging the account.
	fin := now.Add(time.Hour)
	ret := 0.5
	res := state.CompactionResult{Compaction: run, Covers: []string{c2.ID},
		Charge: state.Charge{Tokens: 100, Floor: 10, PeriodStart: fin.Truncate(time.Hour)}}
	sumID := state.NewID("sum")
	res.Compaction.Status, res.Compaction.SummaryID, res.Compaction.TokensIn, res.Compaction.TokensOut = state.CompactionSucceeded, sumID, 60, 40
	res.Compaction.Retention, res.Compaction.MissingFacts, res.Compaction.FinishedAt = &ret, []string{"4812"}, &fin
	sum := &state.Summary{ID: sumID, AgentID: a.ID, Text: "m1 m2 m3", Tokens: 9, FromSeq: 1, ThroughSeq: 3, CompactionID: c1.ID,
		SourceMessageIDs: []string{msgs[0].ID, msgs[1].ID, msgs[2].ID}, SourcePassageIDs: []string{"psg_a"}, CreatedAt: fin}
	finish := func(sum *state.Summary, res state.CompactionResult) error {
		return s.Page(ctx, a.ID, func(ctx context.Context, p state.Page) (state.Change, error) {
			c := p.Agent().Context
			c.SummaryID, c.SummaryTokens = sum.ID, sum.Tokens
			return state.Change{Summary: sum, Context: &c, Finish: &res}, nil
		})
	}
	if err := finish(sum, res); err != nil {
		t.Fatal(err)
	}
	got, _ = cs.GetCompaction(ctx, c1.ID)
	if got.Status != state.CompactionSucceeded || got.SummaryID != sumID || got.TokensIn != 60 || got.TokensOut != 40 ||
		got.Retention == nil || *got.Retention != 0.5 || len(got.MissingFacts) != 1 || got.FinishedAt == nil || got.InFlight() {
		t.Fatalf("finished: %+v", got)
	}
	if got, _ := cs.GetCompaction(ctx, c2.ID); got.Status != state.CompactionSucceeded || got.CoveredBy != c1.ID || got.SummaryID != sumID {
		t.Fatalf("covered compaction: %+v", got)
	}
	gs, err := s.GetSummary(ctx, a.ID, sumID)
	if err != nil || gs.CompactionID != c1.ID || gs.Status != state.SummaryValid || len(gs.SourcePassageIDs) != 1 {
		t.Fatalf("summary: %+v, %v", gs, err)
	}
	// A duplicate finish, or a second summary of one compaction, writes nothing.
	dup := *sum
	dup.ID = state.NewID("sum")
	if err := finish(&dup, res); !errors.Is(err, state.ErrConflict) {
		t.Fatalf("duplicate finish: %v, want ErrConflict", err)
	}
	err = s.Page(ctx, a.ID, func(ctx context.Context, p state.Page) (state.Change, error) {
		return state.Change{Summary: &dup}, nil
	})
	if err == nil {
		t.Fatal("a second summary of one compaction must be refused")
	}
	if sums, _ := s.ListSummaries(ctx, a.ID); len(sums) != 1 {
		t.Fatalf("%d summaries, want 1", len(sums))
	}

	// The account: max(vruntime, floor) + tokens; the period's tokens restart with a new period.
	charge := func(tokens int, floor float64, period time.Time) {
		t.Helper()
		c := queue(a.ID, 3)
		if err := cs.DispatchCompaction(ctx, c.ID, 0, lease, 0); err != nil {
			t.Fatal(err)
		}
		run, err := cs.StartCompaction(ctx, c.ID, 1, now, lease)
		if err != nil {
			t.Fatal(err)
		}
		r := state.CompactionResult{Compaction: run, Charge: state.Charge{Tokens: tokens, Floor: floor, PeriodStart: period}}
		r.Compaction.Status, r.Compaction.FinishedAt = state.CompactionSucceeded, &fin
		if err := s.Page(ctx, a.ID, func(ctx context.Context, p state.Page) (state.Change, error) {
			return state.Change{Finish: &r}, nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	account := func() state.CompactionAccount {
		t.Helper()
		c := queue(a.ID, 3)
		defer func() {
			if err := cs.FailCompaction(ctx, c.ID, 0, "test", now); err != nil {
				t.Fatal(err)
			}
		}()
		st, err := cs.Scheduler(ctx, now, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range st.Runnable {
			if r.Next.AgentID == a.ID {
				return r.Account
			}
		}
		t.Fatalf("agent a is not runnable: %+v", st)
		return state.CompactionAccount{}
	}
	p1 := fin.Truncate(time.Hour)
	if acc := account(); acc.VRuntime != 110 || acc.PeriodTokens != 100 || !acc.PeriodStart.Equal(p1) || acc.TokensTotal != 100 {
		t.Fatalf("account after one charge: %+v", acc)
	}
	charge(50, 0, p1)
	if acc := account(); acc.VRuntime != 160 || acc.PeriodTokens != 150 {
		t.Fatalf("account after a second charge: %+v", acc)
	}
	charge(20, 1000, p1.Add(time.Hour))
	if acc := account(); acc.VRuntime != 1020 || acc.PeriodTokens != 20 || !acc.PeriodStart.Equal(p1.Add(time.Hour)) || acc.TokensTotal != 170 {
		t.Fatalf("account in a new period, placed at the floor: %+v", acc)
	}
	// CompactionAccount reads the same account; an agent never charged has the zero one.
	if acc, err := cs.CompactionAccount(ctx, a.ID); err != nil || acc.AgentID != a.ID || acc.VRuntime != 1020 || acc.PeriodTokens != 20 ||
		!acc.PeriodStart.Equal(p1.Add(time.Hour)) || acc.TokensTotal != 170 {
		t.Fatalf("CompactionAccount: %+v, %v", acc, err)
	}
	if acc, err := cs.CompactionAccount(ctx, "ag_never_charged"); err != nil || acc != (state.CompactionAccount{AgentID: "ag_never_charged"}) {
		t.Fatalf("CompactionAccount of an agent never charged: %+v, %v", acc, err)
	}

	// The floor never falls.
	if err := cs.AdvanceFloor(ctx, 50); err != nil {
		t.Fatal(err)
	}
	if err := cs.AdvanceFloor(ctx, 20); err != nil {
		t.Fatal(err)
	}
	if st, _ := cs.Scheduler(ctx, now, 0); st.Floor != 50 {
		t.Fatalf("floor %v, want 50", st.Floor)
	}

	if err := cs.FlagSummaries(ctx, a.ID, []string{sumID}, "psg_a is superseded"); err != nil {
		t.Fatal(err)
	}
	if gs, _ := s.GetSummary(ctx, a.ID, sumID); gs.Status != state.SummaryStale || gs.StaleCause != "psg_a is superseded" {
		t.Fatalf("flagged summary: %+v", gs)
	}
	pinned, err := cs.PinnedMessages(ctx, a.ID, 10)
	if err != nil || len(pinned) != 1 || pinned[0].ID != pin.ID {
		t.Fatalf("pinned messages: %+v, %v", pinned, err)
	}
	if all, _ := cs.ListCompactions(ctx, a.ID, 100); len(all) < 4 || all[0].ID != c1.ID {
		t.Fatalf("list compactions: %d", len(all))
	}
	// Deleting the agent removes its compactions.
	if err := s.DeleteAgent(ctx, b.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.GetCompaction(ctx, cb.ID); !errors.Is(err, state.ErrNotFound) {
		t.Fatalf("compaction of a deleted agent: %v", err)
	}
}

func appendPinned(t *testing.T, s state.Store, agentID, text string) state.Message {
	t.Helper()
	var m state.Message
	err := s.Page(state.AllTenants(context.Background()), agentID, func(ctx context.Context, p state.Page) (state.Change, error) {
		c := p.Agent().Context
		c.LastSeq++
		c.InContext++
		m = state.Message{ID: state.NewID("msg"), AgentID: agentID, Seq: c.LastSeq, Role: "user", Content: text, Pinned: true,
			Tokens: 5, InContext: true, CreatedAt: time.Now().UTC()}
		return state.Change{Append: []state.Message{m}, Context: &c}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}
