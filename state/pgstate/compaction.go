package pgstate

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/memsvc/memsvc/state"
)

var _ state.CompactionStore = (*Store)(nil)

const compactionCols = `id, agent_id, reason, status, from_seq, through_seq, summary_id, covered_by, tokens_in, tokens_out,
	retention, missing_facts, attempts, error, generation, lease_until, vfloor, created_at, started_at, finished_at`

func scanCompaction(r scanner, extra ...any) (state.Compaction, error) {
	var c state.Compaction
	dest := append([]any{&c.ID, &c.AgentID, &c.Reason, &c.Status, &c.FromSeq, &c.ThroughSeq, &c.SummaryID, &c.CoveredBy,
		&c.TokensIn, &c.TokensOut, &c.Retention, &c.MissingFacts, &c.Attempts, &c.Error, &c.Generation, &c.LeaseUntil,
		&c.VFloor, &c.CreatedAt, &c.StartedAt, &c.FinishedAt}, extra...)
	if err := r.Scan(dest...); err != nil {
		return c, err
	}
	c.CreatedAt = c.CreatedAt.UTC()
	for _, t := range []*time.Time{c.LeaseUntil, c.StartedAt, c.FinishedAt} {
		if t != nil {
			*t = t.UTC()
		}
	}
	return c, nil
}

func (s *Store) compactions(ctx context.Context, op, query string, args ...any) ([]state.Compaction, error) {
	rows, err := s.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, wrap(op, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (state.Compaction, error) { return scanCompaction(r) })
	if err != nil {
		return nil, wrap(op, err)
	}
	return out, nil
}

// GetCompaction implements state.CompactionStore.
func (s *Store) GetCompaction(ctx context.Context, id string) (state.Compaction, error) {
	c, err := scanCompaction(s.pool.QueryRow(ctx, `SELECT `+compactionCols+` FROM compactions WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return c, fmt.Errorf("pgstate: compaction %s: %w", id, state.ErrNotFound)
	}
	if err != nil {
		return c, wrap("get compaction "+id, err)
	}
	return c, nil
}

// ListCompactions implements state.CompactionStore.
func (s *Store) ListCompactions(ctx context.Context, agentID string, limit int) ([]state.Compaction, error) {
	return s.compactions(ctx, "list compactions", `SELECT `+compactionCols+` FROM compactions WHERE agent_id = $1
		ORDER BY created_at, id COLLATE "C" LIMIT $2`, agentID, limit)
}

// CompactionAccount implements state.CompactionStore.
func (s *Store) CompactionAccount(ctx context.Context, agentID string) (state.CompactionAccount, error) {
	acc := state.CompactionAccount{AgentID: agentID}
	var tokens, total int64
	err := s.pool.QueryRow(ctx, `SELECT vruntime, period_start, period_tokens, tokens_total FROM compaction_accounts
		WHERE agent_id = $1`, agentID).Scan(&acc.VRuntime, &acc.PeriodStart, &tokens, &total)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return acc, nil
	case err != nil:
		return acc, wrap("compaction account of "+agentID, err)
	}
	acc.PeriodStart, acc.PeriodTokens, acc.TokensTotal = acc.PeriodStart.UTC(), int(tokens), int(total)
	return acc, nil
}

// QueuedCompactions implements state.CompactionStore.
func (s *Store) QueuedCompactions(ctx context.Context, agentID string) ([]state.Compaction, error) {
	return s.compactions(ctx, "queued compactions", `SELECT `+compactionCols+` FROM compactions WHERE agent_id = $1
		AND status = 'queued' AND generation = 0 ORDER BY created_at, id COLLATE "C"`, agentID)
}

// Scheduler implements state.CompactionStore.
func (s *Store) Scheduler(ctx context.Context, now time.Time, slots int) (state.SchedulerState, error) {
	var st state.SchedulerState
	var err error
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM compactions WHERE status IN ('queued', 'running')
		AND generation > 0 AND lease_until >= $1`, now).Scan(&st.InFlight); err != nil {
		return st, wrap("in-flight compactions", err)
	}
	if st.Expired, err = s.compactions(ctx, "expired compactions", `SELECT `+compactionCols+` FROM compactions
		WHERE status IN ('queued', 'running') AND generation > 0 AND lease_until < $1 ORDER BY created_at LIMIT 1000`, now); err != nil {
		return st, err
	}
	if err := s.pool.QueryRow(ctx, `SELECT vfloor FROM compaction_clock WHERE id = 1`).Scan(&st.Floor); err != nil {
		return st, wrap("compaction clock", err)
	}
	if slots > 0 && st.InFlight >= slots {
		st.Skipped = true
		return st, nil
	}
	return st, s.runnable(ctx, &st)
}

// runnable reads the scheduler's runnable agents into st.
func (s *Store) runnable(ctx context.Context, st *state.SchedulerState) error {
	rows, err := s.pool.Query(ctx, `SELECT DISTINCT ON (c.agent_id) `+prefixed("c.", compactionCols)+`,
			coalesce(a.vruntime, 0), coalesce(a.period_start, 'epoch'), coalesce(a.period_tokens, 0), coalesce(a.tokens_total, 0)
		FROM compactions c LEFT JOIN compaction_accounts a ON a.agent_id = c.agent_id
		WHERE c.status = 'queued' AND c.generation = 0
		AND NOT EXISTS (SELECT 1 FROM compactions o WHERE o.agent_id = c.agent_id AND o.generation > 0
			AND o.status IN ('queued', 'running'))
		ORDER BY c.agent_id, c.created_at, c.id COLLATE "C" LIMIT 1000`)
	if err != nil {
		return wrap("runnable compactions", err)
	}
	st.Runnable, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (state.RunnableAgent, error) {
		var ra state.RunnableAgent
		var tokens, total int64
		c, err := scanCompaction(r, &ra.Account.VRuntime, &ra.Account.PeriodStart, &tokens, &total)
		ra.Next, ra.Account.AgentID = c, c.AgentID
		ra.Account.PeriodStart = ra.Account.PeriodStart.UTC()
		ra.Account.PeriodTokens, ra.Account.TokensTotal = int(tokens), int(total)
		return ra, err
	})
	if err != nil {
		return wrap("runnable compactions", err)
	}
	return nil
}

func prefixed(p, cols string) string {
	out := ""
	for i, f := range splitCols(cols) {
		if i > 0 {
			out += ", "
		}
		out += p + f
	}
	return out
}

func splitCols(cols string) []string {
	var out []string
	cur := ""
	for _, r := range cols {
		switch r {
		case ',':
			out = append(out, cur)
			cur = ""
		case ' ', '\n', '\t':
		default:
			cur += string(r)
		}
	}
	return append(out, cur)
}

// AdvanceFloor implements state.CompactionStore.
func (s *Store) AdvanceFloor(ctx context.Context, v float64) error {
	if _, err := s.pool.Exec(ctx, `UPDATE compaction_clock SET vfloor = greatest(vfloor, $1) WHERE id = 1`, v); err != nil {
		return wrap("advance compaction floor", err)
	}
	return nil
}

func (s *Store) noTransition(ctx context.Context, q querier, op, id string) error {
	var one int
	err := q.QueryRow(ctx, `SELECT 1 FROM compactions WHERE id = $1`, id).Scan(&one)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("pgstate: compaction %s: %w", id, state.ErrNotFound)
	}
	if err != nil {
		return wrap(op+" compaction "+id, err)
	}
	return fmt.Errorf("pgstate: %s compaction %s: %w", op, id, state.ErrConflict)
}

func (s *Store) transition(ctx context.Context, op, id, query string, args ...any) error {
	tag, err := s.pool.Exec(ctx, query, args...)
	if err != nil {
		return wrap(op+" compaction "+id, err)
	}
	if tag.RowsAffected() == 0 {
		return s.noTransition(ctx, s.pool, op, id)
	}
	return nil
}

// DispatchCompaction implements state.CompactionStore. It takes the agent's row lock (as Page
// does), so that two replicas cannot each hand out a compaction of one agent.
func (s *Store) DispatchCompaction(ctx context.Context, id string, fromGeneration int, leaseUntil time.Time, floor float64) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return wrap("dispatch begin", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	var agentID string
	err = tx.QueryRow(ctx, `SELECT a.id FROM agents a JOIN compactions c ON c.agent_id = a.id WHERE c.id = $1 FOR UPDATE OF a`,
		id).Scan(&agentID)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("pgstate: compaction %s: %w", id, state.ErrNotFound)
	}
	if err != nil {
		return wrap("dispatch compaction "+id, err)
	}
	tag, err := tx.Exec(ctx, `UPDATE compactions c SET generation = generation + 1, status = 'queued', lease_until = $1, vfloor = $2
		WHERE id = $3 AND generation = $4 AND status IN ('queued', 'running')
		AND NOT EXISTS (SELECT 1 FROM compactions o WHERE o.agent_id = c.agent_id AND o.id <> c.id
			AND o.generation > 0 AND o.status IN ('queued', 'running'))`, leaseUntil, floor, id, fromGeneration)
	if err != nil {
		return wrap("dispatch compaction "+id, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("pgstate: dispatch compaction %s: %w", id, state.ErrConflict)
	}
	if err := tx.Commit(ctx); err != nil {
		return wrap("dispatch commit", err)
	}
	return nil
}

// StartCompaction implements state.CompactionStore.
func (s *Store) StartCompaction(ctx context.Context, id string, generation int, now, leaseUntil time.Time) (state.Compaction, error) {
	c, err := scanCompaction(s.pool.QueryRow(ctx, `UPDATE compactions SET status = 'running', attempts = attempts + 1,
		started_at = coalesce(started_at, $1), lease_until = $2 WHERE id = $3 AND generation = $4
		AND status IN ('queued', 'running') RETURNING `+compactionCols, now, leaseUntil, id, generation))
	if errors.Is(err, pgx.ErrNoRows) {
		return c, s.noTransition(ctx, s.pool, "start", id)
	}
	if err != nil {
		return c, wrap("start compaction "+id, err)
	}
	return c, nil
}

// RenewCompaction implements state.CompactionStore.
func (s *Store) RenewCompaction(ctx context.Context, id string, generation int, leaseUntil time.Time) error {
	return s.transition(ctx, "renew", id, `UPDATE compactions SET lease_until = $1 WHERE id = $2 AND generation = $3
		AND status = 'running'`, leaseUntil, id, generation)
}

// RetryCompaction implements state.CompactionStore.
func (s *Store) RetryCompaction(ctx context.Context, id string, generation int, errMsg string, leaseUntil time.Time) error {
	return s.transition(ctx, "retry", id, `UPDATE compactions SET status = 'queued', error = $1, lease_until = $2
		WHERE id = $3 AND generation = $4 AND status = 'running'`, errMsg, leaseUntil, id, generation)
}

// FailCompaction implements state.CompactionStore.
func (s *Store) FailCompaction(ctx context.Context, id string, generation int, errMsg string, now time.Time) error {
	return s.transition(ctx, "fail", id, `UPDATE compactions SET status = 'failed', error = $1, finished_at = $2,
		lease_until = NULL WHERE id = $3 AND generation = $4 AND status IN ('queued', 'running')`, errMsg, now, id, generation)
}

// FlagSummaries implements state.CompactionStore.
func (s *Store) FlagSummaries(ctx context.Context, agentID string, ids []string, cause string) error {
	if len(ids) == 0 {
		return nil
	}
	if _, err := s.pool.Exec(ctx, `UPDATE summaries SET status = 'stale', stale_cause = $1 WHERE agent_id = $2 AND id = ANY($3)`,
		cause, agentID, ids); err != nil {
		return wrap("flag summaries", err)
	}
	return nil
}

// PinnedMessages implements state.CompactionStore.
func (s *Store) PinnedMessages(ctx context.Context, agentID string, throughSeq int64) ([]state.Message, error) {
	return queryMessages(ctx, s.pool, "pinned messages", `SELECT `+messageCols+` FROM messages m WHERE agent_id = $1 AND pinned
		AND seq <= $2 ORDER BY seq`, agentID, throughSeq)
}

// finishCompaction records a compaction's outcome inside Page, before the batch: ErrConflict
// when it is not current or finished already, so a duplicate job writes nothing.
func finishCompaction(ctx context.Context, tx pgx.Tx, agentID string, f *state.CompactionResult) error {
	if f == nil {
		return nil
	}
	c := f.Compaction
	missing := c.MissingFacts
	if missing == nil {
		missing = []string{}
	}
	tag, err := tx.Exec(ctx, `UPDATE compactions SET status = $1, summary_id = $2, tokens_in = $3, tokens_out = $4,
		retention = $5, missing_facts = $6, error = $7, finished_at = $8, lease_until = NULL
		WHERE id = $9 AND agent_id = $10 AND generation = $11 AND status IN ('queued', 'running')`,
		c.Status, c.SummaryID, c.TokensIn, c.TokensOut, c.Retention, missing, c.Error, c.FinishedAt, c.ID, agentID, c.Generation)
	if err != nil {
		return wrap("finish compaction "+c.ID, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("pgstate: finish compaction %s: not current or finished: %w", c.ID, state.ErrConflict)
	}
	return nil
}

// queueCompaction queues a Change's new compaction, and the covers and charge of its Finish.
func queueCompaction(b *batch, agentID string, ch state.Change) {
	if c := ch.Queue; c != nil {
		b.queue("queue compaction "+c.ID, `INSERT INTO compactions (id, agent_id, reason, status, from_seq, through_seq, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, c.ID, agentID, c.Reason, state.CompactionQueued, c.FromSeq, c.ThroughSeq, c.CreatedAt)
	}
	f := ch.Finish
	if f == nil {
		return
	}
	c := f.Compaction
	if len(f.Covers) > 0 {
		b.queue("cover compactions", `UPDATE compactions SET status = 'succeeded', summary_id = $1, covered_by = $2,
			finished_at = $3 WHERE agent_id = $4 AND id = ANY($5) AND status = 'queued' AND generation = 0`,
			c.SummaryID, c.ID, c.FinishedAt, agentID, f.Covers)
	}
	ch2 := f.Charge
	b.queue("charge compaction "+c.ID, `INSERT INTO compaction_accounts (agent_id, vruntime, period_start, period_tokens, tokens_total)
		VALUES ($1, greatest($2::double precision, 0) + $4::bigint, $3, $4, $4) ON CONFLICT (agent_id) DO UPDATE SET
			vruntime = greatest(compaction_accounts.vruntime, $2::double precision) + excluded.tokens_total,
			period_tokens = CASE WHEN compaction_accounts.period_start = excluded.period_start
				THEN compaction_accounts.period_tokens + excluded.period_tokens ELSE excluded.period_tokens END,
			period_start = excluded.period_start,
			tokens_total = compaction_accounts.tokens_total + excluded.tokens_total`,
		agentID, ch2.Floor, ch2.PeriodStart, int64(ch2.Tokens))
}
