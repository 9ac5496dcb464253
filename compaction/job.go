package compaction

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/memsvc/memsvc/archival"
	"github.com/memsvc/memsvc/pager"
	"github.com/memsvc/memsvc/state"
)

// worker is the River worker of compaction jobs.
type worker struct {
	river.WorkerDefaults[jobArgs]
	s *Service
}

func (w *worker) Work(ctx context.Context, job *river.Job[jobArgs]) error {
	t0 := time.Now()
	err := w.s.RunJob(ctx, job.Args.CompactionID, job.Args.Generation, job.Attempt)
	w.s.rest(ctx, time.Since(t0))
	return err
}

// rest holds a worker that just worked for d idle long enough that it works at most CPUShare of
// the time (its slot in the job queue stays taken meanwhile, so the next job waits too): the CPU
// budget of background work, which keeps a compaction backlog from starving requests. A job's
// wall time bounds the CPU it used.
func (s *Service) rest(ctx context.Context, d time.Duration) { pager.Rest(ctx, d, s.cfg.CPUShare) }

// errLeaseLost cancels a job whose claim was taken over (its lease expired while it ran).
var errLeaseLost = errors.New("compaction: lease lost")

// RunJob runs generation gen of a compaction, as a River job does on its attempt (from 1). A job
// of a stale generation, or of a compaction that finished, does nothing. A failure is retried by
// the job queue with backoff until MaxAttempts, then the compaction fails.
//
// A job is internal work on its compaction's agent, whatever the agent's tenant: it runs with
// state.AllTenants, never with the scope of the request that queued it.
func (s *Service) RunJob(ctx context.Context, id string, gen, attempt int) error {
	ctx = state.AllTenants(ctx)
	now := s.now()
	c, err := s.cfg.Store.StartCompaction(ctx, id, gen, now, now.Add(s.cfg.Lease))
	if errors.Is(err, state.ErrConflict) || errors.Is(err, state.ErrNotFound) {
		s.metrics.jobs.WithLabelValues("skipped").Inc()
		return nil // stale, duplicate or finished; or its agent was deleted
	}
	if err != nil {
		return err
	}
	jctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	hb := make(chan struct{})
	go func() {
		defer close(hb)
		s.heartbeat(jctx, cancel, c)
	}()
	err = s.compact(jctx, c)
	cancel(nil)
	<-hb
	if err == nil {
		s.metrics.jobs.WithLabelValues("succeeded").Inc()
		s.Wake() // the agent's next compaction may go now
		return nil
	}
	if errors.Is(context.Cause(jctx), errLeaseLost) || errors.Is(err, errDone) {
		s.metrics.jobs.WithLabelValues("skipped").Inc()
		return nil
	}
	// Book-keeping outlives a cancelled job.
	bctx, stop := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer stop()
	if c.Attempts >= s.cfg.MaxAttempts {
		s.metrics.jobs.WithLabelValues("failed").Inc()
		s.cfg.Logger.Error("compaction failed", "compaction", c.ID, "agent", c.AgentID, "attempts", c.Attempts, "err", err)
		if ferr := s.cfg.Store.FailCompaction(bctx, c.ID, gen, err.Error(), s.now()); ferr != nil && !errors.Is(ferr, state.ErrConflict) {
			return errors.Join(err, ferr)
		}
		s.Wake()
		return river.JobCancel(err)
	}
	s.metrics.jobs.WithLabelValues("retried").Inc()
	s.cfg.Logger.Warn("compaction attempt failed; retrying", "compaction", c.ID, "agent", c.AgentID, "attempt", c.Attempts, "err", err)
	lease := s.now().Add(s.cfg.Backoff(max(attempt, 1)) + s.cfg.Lease + 10*time.Second)
	if rerr := s.cfg.Store.RetryCompaction(bctx, c.ID, gen, err.Error(), lease); rerr != nil && !errors.Is(rerr, state.ErrConflict) {
		return errors.Join(err, rerr)
	}
	return err
}

// heartbeat renews the job's lease every Lease/3 until ctx ends; a lost lease cancels the job.
func (s *Service) heartbeat(ctx context.Context, cancel context.CancelCauseFunc, c state.Compaction) {
	t := time.NewTicker(s.cfg.Lease / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			err := s.cfg.Store.RenewCompaction(ctx, c.ID, c.Generation, s.now().Add(s.cfg.Lease))
			if errors.Is(err, state.ErrConflict) || errors.Is(err, state.ErrNotFound) {
				cancel(errLeaseLost)
				return
			}
			if err != nil && ctx.Err() == nil {
				s.cfg.Logger.Warn("renew compaction lease", "compaction", c.ID, "err", err)
			}
		}
	}
}

// errDone means the compaction finished elsewhere (a duplicate job committed first).
var errDone = errors.New("compaction: already finished")

// errMoved means the agent's summary changed while the job worked; it starts over.
var errMoved = errors.New("compaction: the running summary moved")

// compact runs one compaction, starting over (at most twice) when the summary moved under it.
func (s *Service) compact(ctx context.Context, c state.Compaction) error {
	for try := 0; ; try++ {
		err := s.compactOnce(ctx, c)
		if errors.Is(err, errMoved) && try < 2 {
			continue
		}
		return err
	}
}

// SummaryID is the ID of the summary a compaction makes: derived from the compaction's, so that
// however often its job runs it makes one summary (summaries_compaction enforces it).
func SummaryID(compactionID string) string { return "sum_" + strings.TrimPrefix(compactionID, "cmp_") }

// retentionPassageID is the ID of the passage holding a pinned message's text verbatim, written
// by a compaction whose summary dropped some of its facts: one per compaction and message.
func retentionPassageID(compactionID, messageID string) string {
	h := sha256.Sum256([]byte(compactionID + "/" + messageID))
	return fmt.Sprintf("psg_r%x", h[:12])
}

func (s *Service) compactOnce(ctx context.Context, c state.Compaction) error {
	st := s.cfg.Store
	a, err := st.GetAgent(ctx, c.AgentID)
	if errors.Is(err, state.ErrNotFound) {
		return errDone // the agent was deleted, and its compactions with it
	}
	if err != nil {
		return err
	}
	var prev *state.Summary
	if a.Context.SummaryID != "" {
		sum, err := st.GetSummary(ctx, a.ID, a.Context.SummaryID)
		if err != nil {
			return err
		}
		prev = &sum
	}
	stale, err := s.checkProvenance(ctx, a.ID, prev)
	if err != nil {
		return err
	}
	// Coalesce: the agent's queued compactions (queued after this one) are folded too.
	queued, err := st.QueuedCompactions(ctx, a.ID)
	if err != nil {
		return err
	}
	through := c.ThroughSeq
	var covers []string
	for _, q := range queued {
		covers = append(covers, q.ID)
		through = max(through, q.ThroughSeq)
	}
	base, after := "", int64(0)
	if prev != nil && stale == nil {
		base, after = prev.Text, prev.ThroughSeq
	}
	msgs, err := s.evicted(ctx, a.ID, after, through)
	if err != nil {
		return err
	}
	var stalePassages []string
	if stale != nil {
		stalePassages = stale.passages
		msgs = dropCiting(msgs, stalePassages)
	}
	now := s.now()
	res := state.CompactionResult{Compaction: c, Covers: covers}
	res.Compaction.Status, res.Compaction.FinishedAt, res.Compaction.Error = state.CompactionSucceeded, &now, ""
	if len(msgs) == 0 && stale == nil {
		// Nothing new to fold: the current summary stands.
		one := 1.0
		if prev != nil {
			res.Compaction.SummaryID = prev.ID
		}
		res.Compaction.Retention = &one
		res.Charge = state.Charge{Floor: c.VFloor - s.cfg.SleeperCredit, PeriodStart: periodStart(now, s.cfg.Budget)}
		return s.commit(ctx, c, prev, nil, res)
	}

	// Fold, in chunks of at most MaxFoldTokens message tokens.
	var usage pager.Usage
	chunks := chunk(msgs, s.cfg.MaxFoldTokens)
	text, tokens := base, 0
	var beforeLast string
	for _, ch := range chunks {
		beforeLast = text
		t, n, u, err := s.cfg.Pager.Fold(ctx, pager.FoldInput{Agent: a, Previous: text, Messages: ch})
		usage = addUsage(usage, u)
		if err != nil {
			return err
		}
		text, tokens = t, n
	}

	// Retention: a summary that drops a pinned fact is made again, naming what it dropped.
	pinned, err := st.PinnedMessages(ctx, a.ID, through)
	if err != nil {
		return err
	}
	pinned = dropCiting(pinned, stalePassages)
	facts := factsOf(pinned)
	retention, missing, err := s.retention(ctx, a.ID, text, facts)
	if err != nil {
		return err
	}
	for try := 0; len(missing) > 0 && try < s.cfg.RetentionRetries && len(chunks) > 0; try++ {
		var keep []string
		for _, m := range missing {
			keep = append(keep, m.facts...)
		}
		t, n, u, err := s.cfg.Pager.Fold(ctx, pager.FoldInput{Agent: a, Previous: beforeLast, Messages: chunks[len(chunks)-1], MustKeep: keep})
		usage = addUsage(usage, u)
		if err != nil {
			return err
		}
		text, tokens = t, n
		if retention, missing, err = s.retention(ctx, a.ID, text, facts); err != nil {
			return err
		}
	}
	if err := s.writeVerbatim(ctx, c, missing, now); err != nil {
		return err
	}

	sum := &state.Summary{ID: SummaryID(c.ID), AgentID: a.ID, Text: text, Tokens: tokens, ThroughSeq: through,
		CompactionID: c.ID, CreatedAt: now, Status: state.SummaryValid}
	if len(msgs) > 0 {
		sum.FromSeq = msgs[0].Seq
	} else {
		sum.FromSeq = through + 1
	}
	if prev != nil {
		sum.PreviousID = prev.ID
		if stale == nil {
			sum.FromSeq = prev.FromSeq
		}
	}
	for _, m := range msgs {
		sum.SourceMessageIDs = append(sum.SourceMessageIDs, m.ID)
	}
	if stale == nil {
		sum.SourcePassageIDs = sourcePassages(prev, msgs)
	} else {
		sum.SourcePassageIDs = sourcePassages(nil, msgs)
	}
	if sum.SourceMessageIDs == nil {
		sum.SourceMessageIDs = []string{}
	}

	cu, err := s.checkContradictions(ctx, c, msgs, pager.SummaryPassageID(sum.ID))
	usage = addUsage(usage, cu)
	if err != nil {
		return err
	}

	res.Compaction.SummaryID = sum.ID
	res.Compaction.TokensIn, res.Compaction.TokensOut = usage.TokensIn, usage.TokensOut
	res.Compaction.Retention = &retention
	for _, m := range missing {
		res.Compaction.MissingFacts = append(res.Compaction.MissingFacts, m.facts...)
	}
	res.Charge = state.Charge{Tokens: usage.TokensIn + usage.TokensOut, Floor: c.VFloor - s.cfg.SleeperCredit,
		PeriodStart: periodStart(now, s.cfg.Budget)}
	if h := s.cfg.Hooks.BeforeCommit; h != nil {
		h(c, sum)
	}
	if err := s.commit(ctx, c, prev, sum, res); err != nil {
		return err
	}
	if h := s.cfg.Hooks.AfterCommit; h != nil {
		h(c, sum)
	}
	s.metrics.tokens.WithLabelValues("in").Add(float64(usage.TokensIn))
	s.metrics.tokens.WithLabelValues("out").Add(float64(usage.TokensOut))
	s.metrics.retention.Observe(retention)
	if err := s.cfg.Pager.ArchiveSummary(ctx, *sum); err != nil {
		// Committed; it waits in the outbox, which the pager's worker drains.
		s.cfg.Logger.Warn("archive summary; left in outbox", "agent", a.ID, "summary", sum.ID, "err", err)
	}
	if s.cfg.OnEvent != nil {
		s.cfg.OnEvent(a.ID, pager.Event{Type: pager.EventSummarized, SummaryID: sum.ID, JobID: c.ID, Tokens: sum.Tokens})
	}
	return nil
}

// commit writes the compaction's outcome (and its summary, as the agent's running summary) in one
// paging step. A compaction that finished meanwhile (a duplicate job) is errDone; a running
// summary that moved since the job read it is errMoved.
func (s *Service) commit(ctx context.Context, c state.Compaction, prev, sum *state.Summary, res state.CompactionResult) error {
	err := s.cfg.Store.Page(ctx, c.AgentID, func(ctx context.Context, p state.Page) (state.Change, error) {
		a := p.Agent()
		prevID := ""
		if prev != nil {
			prevID = prev.ID
		}
		if a.Context.SummaryID != prevID {
			return state.Change{}, errMoved
		}
		ch := state.Change{Finish: &res}
		if sum != nil {
			ctr := a.Context
			ctr.SummaryID, ctr.SummaryTokens = sum.ID, sum.Tokens
			ch.Summary, ch.Context = sum, &ctr
		}
		return ch, nil
	})
	if errors.Is(err, state.ErrConflict) || errors.Is(err, state.ErrNotFound) {
		// Finished by a duplicate, handed to another generation, or gone with its agent.
		cur, gerr := s.cfg.Store.GetCompaction(ctx, c.ID)
		if errors.Is(gerr, state.ErrNotFound) || gerr == nil && (cur.Finished() || cur.Generation != c.Generation) {
			return errDone
		}
	}
	return err
}

// evicted returns the agent's evicted messages with after < seq <= through, oldest first.
func (s *Service) evicted(ctx context.Context, agentID string, after, through int64) ([]state.Message, error) {
	var out []state.Message
	for after < through {
		page, err := s.cfg.Store.ListMessages(ctx, agentID, after, 500)
		if err != nil {
			return nil, err
		}
		if len(page) == 0 {
			break
		}
		for _, m := range page {
			if m.Seq > through {
				return out, nil
			}
			if !m.InContext {
				out = append(out, m)
			}
		}
		after = page[len(page)-1].Seq
	}
	return out, nil
}

// chunk splits msgs into runs of at most max message tokens (a message larger than max is a run
// of its own).
func chunk(msgs []state.Message, max int) [][]state.Message {
	var out [][]state.Message
	var cur []state.Message
	n := 0
	for _, m := range msgs {
		if len(cur) > 0 && n+m.Tokens > max {
			out = append(out, cur)
			cur, n = nil, 0
		}
		cur = append(cur, m)
		n += m.Tokens
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

func addUsage(a, b pager.Usage) pager.Usage {
	return pager.Usage{TokensIn: a.TokensIn + b.TokensIn, TokensOut: a.TokensOut + b.TokensOut}
}

// writeVerbatim writes each pinned message whose facts the summary and archival lack to archival
// verbatim (source compaction, tags pinned and retention), under an ID derived from the
// compaction and the message, so that a retried job writes it once.
func (s *Service) writeVerbatim(ctx context.Context, c state.Compaction, missing []pinnedFacts, now time.Time) error {
	if len(missing) == 0 {
		return nil
	}
	texts := make([]string, len(missing))
	for i, m := range missing {
		texts[i] = m.msg.Content
	}
	vecs, err := s.cfg.Embedder.Embed(ctx, texts)
	if err != nil {
		return fmt.Errorf("compaction: embed pinned messages: %w", err)
	}
	ps := make([]archival.Passage, len(missing))
	for i, m := range missing {
		ps[i] = archival.Passage{
			ID: retentionPassageID(c.ID, m.msg.ID), AgentID: c.AgentID, Text: m.msg.Content, Vector: vecs[i],
			CreatedAt: now, ValidFrom: m.msg.CreatedAt, Status: archival.StatusValid, Source: archival.SourceCompaction,
			Tags: []string{"pinned", "retention"},
			Metadata: map[string]any{"compaction_id": c.ID, "source_message_ids": []string{m.msg.ID},
				"missing_facts": m.facts, "seq": m.msg.Seq},
			Cause: "pinned message " + m.msg.ID + " kept verbatim: the summary of compaction " + c.ID + " dropped " +
				strings.Join(m.facts, ", "),
		}
	}
	return s.cfg.Pager.UpdateArchival(ctx, c.AgentID, nil, func([]*archival.Passage) ([]archival.Passage, error) { return ps, nil })
}
