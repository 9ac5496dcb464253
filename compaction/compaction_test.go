package compaction

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/memsvc/memsvc/textproc"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/memsvc/memsvc/archival"
	"github.com/memsvc/memsvc/pager"
	"github.com/memsvc/memsvc/state"
)

// Jobs queued by evictions run, each summary folds the previous one and its span (the spans are
// disjoint and cover every evicted message), the newest lands in the context, and the summaries
// are paged out to archival with their provenance.
func TestJobsRun(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := state.WithTenant(context.Background(), state.DefaultTenant)
			e := newEnv(t, b, nil, nil, true)
			id := e.agent(1200)
			jobs := e.appendUntilEvicted(id, 3, note)
			for _, j := range e.wait(jobs...) {
				if j.Status != state.CompactionSucceeded || j.SummaryID == "" || j.Attempts > 1 {
					t.Fatalf("job: %+v", j)
				}
				// A job covered by another's summary (coalesced) ran no summarizer of its own.
				if j.CoveredBy == "" && (j.TokensIn == 0 || j.TokensOut == 0 || j.Retention == nil) {
					t.Fatalf("job without token accounting: %+v", j)
				}
			}
			view, err := e.svc.Context(ctx, id, "")
			if err != nil {
				t.Fatal(err)
			}
			if view.Summary == nil || view.Summary.CompactionID == "" || view.Summary.Status != state.SummaryValid ||
				view.Tokens.Summary != view.Summary.Tokens || view.Tokens.Total > 1200 {
				t.Fatalf("context after the jobs: summary %+v, tokens %+v", view.Summary, view.Tokens)
			}
			// A job archives its summary after committing it; the outbox drain waits for that.
			if _, err := e.svc.DrainOutbox(ctx); err != nil {
				t.Fatal(err)
			}
			sums, err := e.svc.ListSummaries(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			msgs, _, _ := e.svc.History(ctx, id, 0, 1000)
			covered := map[string]bool{}
			for _, s := range sums {
				for _, mid := range s.SourceMessageIDs {
					if covered[mid] {
						t.Fatalf("message %s summarized twice", mid)
					}
					covered[mid] = true
				}
				if s.PassageID == "" {
					t.Fatalf("summary %s not archived", s.ID)
				}
			}
			for _, m := range msgs {
				if !m.InContext && !covered[m.ID] && m.Seq <= sums[len(sums)-1].ThroughSeq {
					t.Fatalf("evicted message %d is in no summary", m.Seq)
				}
			}
			hits, err := e.svc.SearchArchival(ctx, id, pager.ArchivalQuery{Query: "parcel order dock", Tags: []string{"summary"}})
			if err != nil || len(hits) == 0 || hits[0].Passage.Source != archival.SourceCompaction ||
				hits[0].Passage.Metadata["compaction_id"] == nil || hits[0].Passage.Metadata["source_message_ids"] == nil {
				t.Fatalf("summary in archival: %+v, %v", hits, err)
			}
			if in := testutil.ToFloat64(e.comp.metrics.tokens.WithLabelValues("in")); in == 0 {
				t.Fatal("memsvc_compaction_tokens_total{direction=in} is 0")
			}
		})
	}
}

// dropper is a summarizer that drops pinned lines (as a careless model might) and records its
// calls.
type dropper struct {
	mu       sync.Mutex
	calls    int
	mustKeep [][]string
}

func (d *dropper) Summarize(ctx context.Context, in pager.SummaryInput) (string, error) {
	d.mu.Lock()
	d.calls++
	d.mustKeep = append(d.mustKeep, in.MustKeep)
	d.mu.Unlock()
	out, err := pager.Extractive{}.Summarize(ctx, in)
	var keep []string
	for _, l := range strings.Split(out, "\n") {
		if !strings.Contains(l, "[pinned]") {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n"), err
}

// The retention check catches a summarizer that drops a pinned fact: the summary is made again
// (naming the missing facts) RetentionRetries times, then the pinned message goes to archival
// verbatim, and the job records its retention figure. A later compaction finds the fact there.
func TestRetentionCatchesDroppedFact(t *testing.T) {
	ctx := state.WithTenant(context.Background(), state.DefaultTenant)
	d := &dropper{}
	e := newEnv(t, backends()[0], d, nil, true)
	id := e.agent(1200)
	if _, err := e.svc.Append(ctx, id, []pager.MessageInput{{Role: "user", Pinned: true,
		Content: "My locker code at the Riverside gym is 4812."}}); err != nil {
		t.Fatal(err)
	}
	jobs := e.appendUntilEvicted(id, 1, note)
	j := e.wait(jobs...)[0]
	if j.Status != state.CompactionSucceeded || j.Retention == nil || *j.Retention >= 1 {
		t.Fatalf("job: %+v", j)
	}
	for _, f := range []string{"4812", textproc.Stem("Riverside"), "locker"} {
		if !slices.Contains(j.MissingFacts, f) {
			t.Fatalf("missing facts %v lack %q", j.MissingFacts, f)
		}
	}
	d.mu.Lock()
	calls, keep := d.calls, d.mustKeep
	d.mu.Unlock()
	if calls != 3 || keep[0] != nil || !slices.Contains(keep[2], "4812") {
		t.Fatalf("summarizer calls %d with MustKeep %v; want 3, the retries naming 4812", calls, keep)
	}
	hits, err := e.svc.SearchArchival(ctx, id, pager.ArchivalQuery{Query: "locker code", Tags: []string{"retention"}})
	if err != nil || len(hits) != 1 || hits[0].Passage.Text != "My locker code at the Riverside gym is 4812." {
		t.Fatalf("verbatim passage: %+v, %v", hits, err)
	}
	// The next compaction finds the facts in archival: nothing is written again.
	next := e.appendUntilEvicted(id, 1, func(i int) string { return note(i + 500) })
	j2 := e.wait(next...)[0]
	if j2.Retention == nil || *j2.Retention != 1 || len(j2.MissingFacts) != 0 {
		t.Fatalf("second job: %+v", j2)
	}
	if hits, _ := e.svc.SearchArchival(ctx, id, pager.ArchivalQuery{Query: "locker code", Tags: []string{"retention"}}); len(hits) != 1 {
		t.Fatalf("%d verbatim passages, want 1", len(hits))
	}
}

func TestFacts(t *testing.T) {
	got := Facts("My locker code at the Riverside gym is 4812, and Alice's flight leaves at 10:30 on 2026-03-04.")
	for _, w := range []string{"locker", "code", "Riverside", "4812", "Alice", "flight", "leaves", "10:30", "2026-03-04"} {
		if f := textproc.Stem(w); !slices.Contains(got, f) {
			t.Errorf("Facts lack %q: %v", f, got)
		}
	}
	for _, f := range []string{"my", "the", "and", "at"} {
		if slices.Contains(got, f) {
			t.Errorf("Facts hold the function word %q: %v", f, got)
		}
	}
	if m := missingFrom(got, "user: alice leaves at 10:30 on 2026-03-04; riverside locker code 4812 (flights)"); len(m) != 0 {
		t.Errorf("a text holding every fact misses %v", m)
	}
	if m := missingFrom([]string{"4812", "locker"}, "locker 4813"); !slices.Equal(m, []string{"4812"}) {
		t.Errorf("missing = %v, want [4812]", m)
	}
}

// An agent over its token budget waits for the next period; then its job runs.
func TestBudgetMakesJobsWait(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			e := newEnv(t, b, nil, func(c *Config) { c.Budget = Budget{Tokens: 100, Period: time.Hour} }, false)
			e.clock.Freeze(time.Now().Truncate(time.Hour).Add(10 * time.Minute))
			e.start()
			id := e.agent(1200)
			first := e.wait(e.appendUntilEvicted(id, 1, note)...)[0]
			if first.Status != state.CompactionSucceeded || first.TokensIn+first.TokensOut <= 100 {
				t.Fatalf("first job: %+v (it must use the budget up)", first)
			}
			second := e.appendUntilEvicted(id, 1, func(i int) string { return note(i + 500) })[0]
			time.Sleep(300 * time.Millisecond) // fifteen scheduler ticks
			if j, _ := e.comp.Job(state.WithTenant(context.Background(), state.DefaultTenant), second); j.Status != state.CompactionQueued || j.Attempts != 0 {
				t.Fatalf("a job of an agent over budget ran: %+v", j)
			}
			if g := testutil.ToFloat64(e.comp.metrics.throttled); g != 1 {
				t.Fatalf("throttled agents gauge = %v, want 1", g)
			}
			e.clock.Advance(time.Hour)
			e.comp.Wake()
			if j := e.wait(second)[0]; j.Status != state.CompactionSucceeded {
				t.Fatalf("the job after the period: %+v", j)
			}
		})
	}
}

// The scheduler's pick: least virtual time first whatever the age, an idle agent placed at the
// floor less the credit, an agent over budget waits until its period ends, and the floor only
// rises.
func TestPlanPicksMostOwed(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 30, 0, 0, time.UTC)
	hour := t0.Truncate(time.Hour)
	run := func(agent string, age time.Duration, v float64, periodTokens int) state.RunnableAgent {
		return state.RunnableAgent{
			Next:    state.Compaction{ID: "cmp_" + agent, AgentID: agent, CreatedAt: t0.Add(-age)},
			Account: state.CompactionAccount{AgentID: agent, VRuntime: v, PeriodStart: hour, PeriodTokens: periodTokens},
		}
	}
	budget := Budget{Tokens: 1000, Period: time.Hour}
	tests := []struct {
		name      string
		st        state.SchedulerState
		free      int
		want      []string
		throttled []string
		floor     float64
	}{
		{"least virtual time first, not oldest first",
			state.SchedulerState{Runnable: []state.RunnableAgent{run("chatty", time.Hour, 5000, 900), run("quiet", time.Minute, 100, 10)}, Floor: 0},
			2, []string{"quiet", "chatty"}, nil, 100},
		{"an idle agent starts at the floor less the credit (5904), not at its old virtual time",
			state.SchedulerState{Runnable: []state.RunnableAgent{run("busy", time.Minute, 10_000, 0), run("idle", time.Second, 3, 0),
				run("other", 2*time.Second, 5_000, 0)}, Floor: 10_000},
			3, []string{"other", "idle", "busy"}, nil, 10_000},
		{"over budget waits",
			state.SchedulerState{Runnable: []state.RunnableAgent{run("chatty", time.Hour, 10, 1000), run("quiet", time.Minute, 500, 0)}},
			2, []string{"quiet"}, []string{"chatty"}, 500},
		{"free slots bound the hand-out",
			state.SchedulerState{Runnable: []state.RunnableAgent{run("a", 0, 1, 0), run("b", 0, 2, 0), run("c", 0, 3, 0)}},
			1, []string{"a"}, nil, 1},
		{"no slot, nothing handed out; the floor never falls",
			state.SchedulerState{Runnable: []state.RunnableAgent{run("a", 0, 1, 0)}, Floor: 50},
			0, nil, nil, 50},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := plan(tt.st, t0, budget, 4096, tt.free)
			var got []string
			for _, c := range p.Dispatch {
				got = append(got, c.AgentID)
			}
			if !slices.Equal(got, tt.want) || !slices.Equal(p.Throttled, tt.throttled) || p.Floor != tt.floor {
				t.Fatalf("plan = %v throttled %v floor %v; want %v, %v, %v", got, p.Throttled, p.Floor, tt.want, tt.throttled, tt.floor)
			}
			if len(tt.throttled) > 0 && !p.WakeAt.Equal(hour.Add(time.Hour)) {
				t.Fatalf("wake at %v, want the period's end", p.WakeAt)
			}
		})
	}
	// A new period lifts the throttle.
	st := state.SchedulerState{Runnable: []state.RunnableAgent{run("chatty", 0, 10, 1000)}}
	if p := plan(st, t0.Add(time.Hour), budget, 4096, 1); len(p.Dispatch) != 1 {
		t.Fatalf("next period: %+v", p)
	}
}

// slow is the extractive summarizer taking its time, as a model does.
type slow struct{ d time.Duration }

func (s slow) Summarize(ctx context.Context, in pager.SummaryInput) (string, error) {
	select {
	case <-time.After(s.d):
	case <-ctx.Done():
		return "", ctx.Err()
	}
	return pager.Extractive{}.Summarize(ctx, in)
}

// One chatty agent keeps evicting while three quiet agents evict once each; with one worker, each
// quiet agent's compaction runs after at most one more of the chatty agent's, although the chatty
// agent always has work queued.
func TestQuietAgentsNotStarved(t *testing.T) {
	ctx := state.WithTenant(context.Background(), state.DefaultTenant)
	var mu sync.Mutex
	type commit struct {
		agent string
		at    time.Time
	}
	var commits []commit // each committed summary
	e := newEnv(t, backends()[0], slow{40 * time.Millisecond}, func(c *Config) {
		c.Workers = 1
		c.Budget = Budget{Tokens: 0, Period: time.Hour}
		c.Hooks.AfterCommit = func(c state.Compaction, _ *state.Summary) {
			mu.Lock()
			commits = append(commits, commit{c.AgentID, time.Now()})
			mu.Unlock()
		}
	}, true)
	chatty := e.agent(1200)
	// The chatty agent floods: a backlog first, then more all along.
	e.appendUntilEvicted(chatty, 3, note)
	stop := make(chan struct{})
	var flooded sync.WaitGroup
	flooded.Add(1)
	go func() {
		defer flooded.Done()
		for i := 1000; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := e.svc.Append(ctx, chatty, []pager.MessageInput{{Role: "user", Content: note(i)}}); err != nil {
				t.Error(err)
				return
			}
			e.comp.Wake()
			time.Sleep(2 * time.Millisecond)
		}
	}()
	var quietJobs []string
	quiet := map[string]bool{}
	for range 3 {
		q := e.agent(1200)
		quiet[q] = true
		quietJobs = append(quietJobs, e.appendUntilEvicted(q, 1, note)...)
	}
	mu.Lock()
	start := 0
	mu.Unlock()
	for _, j := range e.wait(quietJobs...) {
		if j.Status != state.CompactionSucceeded {
			t.Fatalf("quiet job: %+v", j)
		}
	}
	close(stop)
	flooded.Wait()
	mu.Lock()
	defer mu.Unlock()
	// For each quiet compaction, count the chatty agent's jobs committed between its queueing and
	// its own commit: the one running when it was queued, and at most one more.
	worst := 0
	for _, qid := range quietJobs {
		j, err := e.comp.Job(ctx, qid)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, c := range commits[start:] {
			if c.agent == j.AgentID {
				break
			}
			if c.agent == chatty && c.at.After(j.CreatedAt) {
				n++
			}
		}
		worst = max(worst, n)
	}
	if worst > 2 {
		t.Fatalf("a quiet agent waited for %d of the chatty agent's jobs: %v", worst, commits[start:])
	}
	q, err := e.st.State.QueuedCompactions(ctx, chatty)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("a quiet agent waited for at most %d chatty jobs; %d chatty jobs in all, %d chatty compactions still queued", worst, len(commits)-start-len(quietJobs), len(q))
}

// flaky fails its first n calls.
type flaky struct {
	n     atomic.Int32
	fails int32
}

func (f *flaky) Summarize(ctx context.Context, in pager.SummaryInput) (string, error) {
	if f.n.Add(1) <= f.fails {
		return "", errors.New("model unavailable")
	}
	return pager.Extractive{}.Summarize(ctx, in)
}

// A failing attempt is retried with backoff; past MaxAttempts the compaction fails, and the
// agent's next compaction folds its span.
func TestRetriesThenFails(t *testing.T) {
	f := &flaky{fails: 1}
	e := newEnv(t, backends()[0], f, func(c *Config) { c.MaxAttempts = 2 }, true)
	id := e.agent(1200)
	j := e.wait(e.appendUntilEvicted(id, 1, note)...)[0]
	if j.Status != state.CompactionSucceeded || j.Attempts != 2 || j.Error != "" {
		t.Fatalf("retried job: %+v", j)
	}
	f.fails = 1 << 20 // from now on, always
	failed := e.wait(e.appendUntilEvicted(id, 1, func(i int) string { return note(i + 500) })...)[0]
	if failed.Status != state.CompactionFailed || failed.Attempts != 2 || !strings.Contains(failed.Error, "model unavailable") {
		t.Fatalf("failing job: %+v", failed)
	}
	f.fails = 0
	f.n.Store(0)
	next := e.wait(e.appendUntilEvicted(id, 1, func(i int) string { return note(i + 800) })...)[0]
	if next.Status != state.CompactionSucceeded {
		t.Fatalf("the next job: %+v", next)
	}
	sum, err := e.st.State.GetSummary(state.WithTenant(context.Background(), state.DefaultTenant), id, next.SummaryID)
	if err != nil || sum.FromSeq != 1 || sum.ThroughSeq != next.ThroughSeq {
		t.Fatalf("the next summary must fold the failed span too: %+v, %v", sum, err)
	}
}

// A job run twice (a duplicate of one generation, concurrently) or of a stale generation makes
// one summary: the second finish is refused and the job ends quietly.
func TestDuplicateJobsMakeOneSummary(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := state.WithTenant(context.Background(), state.DefaultTenant)
			e := newEnv(t, b, slow{30 * time.Millisecond}, nil, false) // the queue is not started: jobs run by hand
			id := e.agent(1200)
			cid := e.appendUntilEvicted(id, 1, note)[0]
			if n, err := e.comp.Tick(ctx); err != nil || n != 1 {
				t.Fatalf("tick: %d, %v", n, err)
			}
			var wg sync.WaitGroup
			errs := make([]error, 3)
			for i := range 2 {
				wg.Add(1)
				go func() { defer wg.Done(); errs[i] = e.comp.RunJob(ctx, cid, 1, 1) }()
			}
			wg.Wait()
			errs[2] = e.comp.RunJob(ctx, cid, 7, 1) // a generation never handed out
			if err := errors.Join(errs...); err != nil {
				t.Fatal(err)
			}
			j := e.wait(cid)[0]
			sums, _ := e.svc.ListSummaries(ctx, id)
			if j.Status != state.CompactionSucceeded || len(sums) != 1 || sums[0].CompactionID != cid || sums[0].ID != SummaryID(cid) {
				t.Fatalf("job %+v; %d summaries", j, len(sums))
			}
		})
	}
}

// A summary that drew on a passage that is then invalidated is flagged stale at the next
// compaction, its archival passage invalidated, and the summary rebuilt without the message that
// cited the passage.
func TestProvenanceFlagsAndRebuilds(t *testing.T) {
	ctx := state.WithTenant(context.Background(), state.DefaultTenant)
	e := newEnv(t, backends()[0], nil, nil, true)
	id := e.agent(1200)
	p, err := e.svc.InsertPassage(ctx, id, pager.PassageInput{Text: "Sam's favourite colour is teal."})
	if err != nil {
		t.Fatal(err)
	}
	citing, err := e.svc.Append(ctx, id, []pager.MessageInput{{Role: "assistant",
		Content: "Noted: Sam's favourite colour is teal. Stored in archival memory as " + p.ID + "."}})
	if err != nil {
		t.Fatal(err)
	}
	j := e.wait(e.appendUntilEvicted(id, 1, note)...)[0]
	s1, err := e.st.State.GetSummary(ctx, id, j.SummaryID)
	if err != nil || !slices.Contains(s1.SourcePassageIDs, p.ID) || !slices.Contains(s1.SourceMessageIDs, citing.Messages[0].ID) {
		t.Fatalf("first summary: %+v, %v", s1, err)
	}
	if _, err := e.svc.Invalidate(ctx, id, p.ID, "Sam's favourite colour is green now", ""); err != nil {
		t.Fatal(err)
	}
	req, err := e.comp.Request(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	j2 := e.wait(req.ID)[0]
	s1, _ = e.st.State.GetSummary(ctx, id, s1.ID)
	if s1.Status != state.SummaryStale || !strings.Contains(s1.StaleCause, p.ID) {
		t.Fatalf("the summary that drew on %s: %+v", p.ID, s1)
	}
	old, err := e.st.Archival.Get(ctx, id, pager.SummaryPassageID(s1.ID))
	if err != nil || old.Status != archival.StatusInvalidated {
		t.Fatalf("the stale summary's passage: %+v, %v", old, err)
	}
	s2, err := e.st.State.GetSummary(ctx, id, j2.SummaryID)
	if err != nil || s2.ID == s1.ID || s2.Status != state.SummaryValid || strings.Contains(s2.Text, "teal") ||
		slices.Contains(s2.SourcePassageIDs, p.ID) || slices.Contains(s2.SourceMessageIDs, citing.Messages[0].ID) ||
		len(s2.SourceMessageIDs) != len(s1.SourceMessageIDs)-1 || !strings.Contains(s2.Text, "parcel") {
		t.Fatalf("rebuilt summary: %+v, %v", s2, err)
	}
	view, _ := e.svc.Context(ctx, id, "")
	if view.Summary == nil || view.Summary.ID != s2.ID {
		t.Fatalf("the context's summary is %+v, want the rebuilt %s", view.Summary, s2.ID)
	}
}

// contradictor says a newer statement naming Paris contradicts an older one naming Berlin.
type contradictor struct{ calls atomic.Int32 }

func (c *contradictor) Check(ctx context.Context, subject, older, newer string) (Verdict, pager.Usage, error) {
	c.calls.Add(1)
	u := pager.Usage{TokensIn: 50, TokensOut: 5}
	if (subject == "alice" || subject == "alice's sister") && strings.Contains(older, "Berlin") && strings.Contains(newer, "Paris") {
		return Verdict{Contradicts: true, Confidence: 0.9, Reason: "she moved"}, u, nil
	}
	return Verdict{Confidence: 0.8}, u, nil
}

// With a Contradictor, an evicted message that contradicts an older passage about the same
// subject marks it possibly superseded, with the verdict's confidence, in its history.
func TestContradictionMarksPossiblySuperseded(t *testing.T) {
	ctx := state.WithTenant(context.Background(), state.DefaultTenant)
	c := &contradictor{}
	e := newEnv(t, backends()[0], nil, func(cfg *Config) { cfg.Contradictor = c }, true)
	id := e.agent(1200)
	p, err := e.svc.InsertPassage(ctx, id, pager.PassageInput{Text: "Alice lives in Berlin."})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Append(ctx, id, []pager.MessageInput{{Role: "user", Content: "Alice moved to Paris last week."}}); err != nil {
		t.Fatal(err)
	}
	j := e.wait(e.appendUntilEvicted(id, 1, note)...)[0]
	if c.calls.Load() == 0 || j.TokensIn < 50 {
		t.Fatalf("checks %d, job %+v", c.calls.Load(), j)
	}
	got, err := e.st.Archival.Get(ctx, id, p.ID)
	if err != nil || got.Status != archival.StatusValid || got.PossiblySupersededBy != pager.SummaryPassageID(j.SummaryID) ||
		got.Confidence != 0.9 {
		t.Fatalf("passage after the check: %+v, %v", got, err)
	}
	h, err := e.svc.PassageHistory(ctx, id, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	last := h[len(h)-1]
	if last.Action != archival.ActionPossiblySuperseded || last.Confidence != 0.9 || !strings.Contains(last.Cause, "she moved") {
		t.Fatalf("history: %+v", h)
	}
}

// A keyed passage about a relation ("alice/sister_city": "Alice's sister lives in Berlin.") is
// checked against a message about that relation, though its key names Alice.
func TestContradictionOfAKeyedRelation(t *testing.T) {
	ctx := state.WithTenant(context.Background(), state.DefaultTenant)
	c := &contradictor{}
	e := newEnv(t, backends()[0], nil, func(cfg *Config) { cfg.Contradictor = c }, true)
	id := e.agent(1200)
	p, err := e.svc.InsertPassage(ctx, id, pager.PassageInput{Text: "Alice's sister lives in Berlin.", Key: "alice/sister_city"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Append(ctx, id, []pager.MessageInput{{Role: "user", Content: "Alice's sister moved to Paris last week."}}); err != nil {
		t.Fatal(err)
	}
	j := e.wait(e.appendUntilEvicted(id, 1, note)...)[0]
	got, err := e.st.Archival.Get(ctx, id, p.ID)
	if err != nil || got.PossiblySupersededBy != pager.SummaryPassageID(j.SummaryID) || got.Confidence != 0.9 {
		t.Fatalf("the keyed passage after the check: %+v, %v", got, err)
	}
}

// gate blocks the summarizer until released, and says when it started.
type gate struct {
	started chan struct{}
	release chan struct{}
	once    sync.Once
}

func (g *gate) Summarize(ctx context.Context, in pager.SummaryInput) (string, error) {
	g.once.Do(func() { close(g.started) })
	<-g.release
	return pager.Extractive{}.Summarize(ctx, in)
}

// Stop drains the workers: it returns once the running job finished, which committed.
func TestStopDrainsRunningJob(t *testing.T) {
	g := &gate{started: make(chan struct{}), release: make(chan struct{})}
	e := newEnv(t, backends()[0], g, nil, false)
	if err := e.comp.Start(state.WithTenant(context.Background(), state.DefaultTenant)); err != nil {
		t.Fatal(err)
	}
	id := e.agent(1200)
	cid := e.appendUntilEvicted(id, 1, note)[0]
	select {
	case <-g.started:
	case <-time.After(10 * time.Second):
		t.Fatal("the job did not start")
	}
	stopped := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(state.WithTenant(context.Background(), state.DefaultTenant), 20*time.Second)
		defer cancel()
		stopped <- e.comp.Stop(ctx)
	}()
	select {
	case err := <-stopped:
		t.Fatalf("Stop returned while a job ran: %v", err)
	case <-time.After(150 * time.Millisecond):
	}
	close(g.release)
	if err := <-stopped; err != nil {
		t.Fatal(err)
	}
	j, err := e.comp.Job(state.WithTenant(context.Background(), state.DefaultTenant), cid)
	if err != nil || j.Status != state.CompactionSucceeded {
		t.Fatalf("after the drain: %+v, %v", j, err)
	}
}

func TestJobNotFound(t *testing.T) {
	e := newEnv(t, backends()[0], nil, nil, false)
	if _, err := e.comp.Job(state.WithTenant(context.Background(), state.DefaultTenant), "cmp_nope"); !errors.Is(err, pager.ErrNotFound) {
		t.Fatalf("unknown job: %v", err)
	}
	if _, err := e.comp.Request(state.WithTenant(context.Background(), state.DefaultTenant), "ag_nope"); !errors.Is(err, pager.ErrNotFound) {
		t.Fatalf("unknown agent: %v", err)
	}
}

// Jobs reads only what the caller may see: another tenant's agent answers not found, as an
// unknown one does, and its own agent's jobs are listed.
func TestJobsScopedByTenant(t *testing.T) {
	e := newEnv(t, backends()[0], nil, nil, false)
	id := e.agent(1200) // the default tenant's
	if _, err := e.comp.Request(state.WithTenant(context.Background(), state.DefaultTenant), id); err != nil {
		t.Fatal(err)
	}
	other := state.WithTenant(context.Background(), "globex")
	if _, err := e.comp.Jobs(other, id, 10); !errors.Is(err, pager.ErrNotFound) {
		t.Fatalf("another tenant's Jobs: %v, want not found", err)
	}
	if _, err := e.comp.Jobs(state.WithTenant(context.Background(), state.DefaultTenant), "ag_nope", 10); !errors.Is(err, pager.ErrNotFound) {
		t.Fatalf("unknown agent's Jobs: %v, want not found", err)
	}
	jobs, err := e.comp.Jobs(state.WithTenant(context.Background(), state.DefaultTenant), id, 10)
	if err != nil || len(jobs) != 1 || jobs[0].AgentID != id {
		t.Fatalf("own Jobs: %+v, %v", jobs, err)
	}
}
