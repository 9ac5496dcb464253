package sqlitestate

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/memsvc/memsvc/state"
)

var _ state.CompactionStore = (*Store)(nil)

const compactionCols = `id, agent_id, reason, status, from_seq, through_seq, summary_id, covered_by, tokens_in, tokens_out,
	retention, missing_facts, attempts, error, generation, lease_until, vfloor, created_at, started_at, finished_at`

func scanCompaction(r scanner, extra ...any) (state.Compaction, error) {
	var c state.Compaction
	var retention sql.NullFloat64
	var missing string
	var lease, started, finished sql.NullInt64
	var created int64
	dest := append([]any{&c.ID, &c.AgentID, &c.Reason, &c.Status, &c.FromSeq, &c.ThroughSeq, &c.SummaryID, &c.CoveredBy,
		&c.TokensIn, &c.TokensOut, &retention, &missing, &c.Attempts, &c.Error, &c.Generation, &lease, &c.VFloor, &created,
		&started, &finished}, extra...)
	if err := r.Scan(dest...); err != nil {
		return c, err
	}
	if retention.Valid {
		c.Retention = &retention.Float64
	}
	if err := json.Unmarshal([]byte(missing), &c.MissingFacts); err != nil {
		return c, fmt.Errorf("sqlitestate: compaction %s missing facts: %w", c.ID, err)
	}
	c.CreatedAt = fromNanos(created)
	c.LeaseUntil, c.StartedAt, c.FinishedAt = optTime(lease), optTime(started), optTime(finished)
	return c, nil
}

func optTime(n sql.NullInt64) *time.Time {
	if !n.Valid {
		return nil
	}
	t := fromNanos(n.Int64)
	return &t
}

func optNanos(t *time.Time) any {
	if t == nil {
		return nil
	}
	return nanos(*t)
}

func jsonList(l []string) string {
	if l == nil {
		l = []string{}
	}
	b, _ := json.Marshal(l)
	return string(b)
}

func (s *Store) compactions(ctx context.Context, q querier, query string, args ...any) ([]state.Compaction, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlitestate: compactions: %w", err)
	}
	defer rows.Close()
	out := []state.Compaction{}
	for rows.Next() {
		c, err := scanCompaction(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// GetCompaction implements state.CompactionStore.
func (s *Store) GetCompaction(ctx context.Context, id string) (state.Compaction, error) {
	c, err := scanCompaction(s.db.QueryRowContext(ctx, `SELECT `+compactionCols+` FROM compactions WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return c, fmt.Errorf("sqlitestate: compaction %s: %w", id, state.ErrNotFound)
	}
	return c, err
}

// ListCompactions implements state.CompactionStore.
func (s *Store) ListCompactions(ctx context.Context, agentID string, limit int) ([]state.Compaction, error) {
	return s.compactions(ctx, s.db, `SELECT `+compactionCols+` FROM compactions WHERE agent_id = ? ORDER BY created_at, id LIMIT ?`,
		agentID, limit)
}

// CompactionAccount implements state.CompactionStore.
func (s *Store) CompactionAccount(ctx context.Context, agentID string) (state.CompactionAccount, error) {
	acc := state.CompactionAccount{AgentID: agentID}
	var ps int64
	err := s.db.QueryRowContext(ctx, `SELECT vruntime, period_start, period_tokens, tokens_total FROM compaction_accounts
		WHERE agent_id = ?`, agentID).Scan(&acc.VRuntime, &ps, &acc.PeriodTokens, &acc.TokensTotal)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return acc, nil
	case err != nil:
		return acc, fmt.Errorf("sqlitestate: compaction account of %s: %w", agentID, err)
	}
	acc.PeriodStart = fromNanos(ps)
	return acc, nil
}

// QueuedCompactions implements state.CompactionStore.
func (s *Store) QueuedCompactions(ctx context.Context, agentID string) ([]state.Compaction, error) {
	return s.compactions(ctx, s.db, `SELECT `+compactionCols+` FROM compactions WHERE agent_id = ? AND status = 'queued'
		AND generation = 0 ORDER BY created_at, id`, agentID)
}

// Scheduler implements state.CompactionStore.
func (s *Store) Scheduler(ctx context.Context, now time.Time, slots int) (state.SchedulerState, error) {
	var st state.SchedulerState
	var err error
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM compactions WHERE status IN ('queued', 'running')
		AND generation > 0 AND lease_until >= ?`, nanos(now)).Scan(&st.InFlight); err != nil {
		return st, fmt.Errorf("sqlitestate: in-flight compactions: %w", err)
	}
	if st.Expired, err = s.compactions(ctx, s.db, `SELECT `+compactionCols+` FROM compactions WHERE status IN ('queued', 'running')
		AND generation > 0 AND lease_until < ? ORDER BY created_at, id LIMIT 1000`, nanos(now)); err != nil {
		return st, err
	}
	if err := s.db.QueryRowContext(ctx, `SELECT vfloor FROM compaction_clock WHERE id = 1`).Scan(&st.Floor); err != nil {
		return st, fmt.Errorf("sqlitestate: compaction clock: %w", err)
	}
	if slots > 0 && st.InFlight >= slots {
		st.Skipped = true
		return st, nil
	}
	return st, s.runnable(ctx, &st)
}

// runnable reads the scheduler's runnable agents into st.
func (s *Store) runnable(ctx context.Context, st *state.SchedulerState) error {
	rows, err := s.db.QueryContext(ctx, `SELECT `+prefixed("c.", compactionCols)+`,
			coalesce(a.vruntime, 0), coalesce(a.period_start, 0), coalesce(a.period_tokens, 0), coalesce(a.tokens_total, 0)
		FROM compactions c LEFT JOIN compaction_accounts a ON a.agent_id = c.agent_id
		WHERE c.status = 'queued' AND c.generation = 0
		AND NOT EXISTS (SELECT 1 FROM compactions o WHERE o.agent_id = c.agent_id AND o.generation > 0
			AND o.status IN ('queued', 'running'))
		AND NOT EXISTS (SELECT 1 FROM compactions e WHERE e.agent_id = c.agent_id AND e.status = 'queued' AND e.generation = 0
			AND (e.created_at < c.created_at OR e.created_at = c.created_at AND e.id < c.id))
		ORDER BY c.created_at, c.id LIMIT 1000`)
	if err != nil {
		return fmt.Errorf("sqlitestate: runnable compactions: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var r state.RunnableAgent
		var ps int64
		c, err := scanCompaction(rows, &r.Account.VRuntime, &ps, &r.Account.PeriodTokens, &r.Account.TokensTotal)
		if err != nil {
			return err
		}
		r.Next, r.Account.AgentID, r.Account.PeriodStart = c, c.AgentID, fromNanos(ps)
		st.Runnable = append(st.Runnable, r)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return nil
}

func prefixed(p, cols string) string {
	fields := strings.Split(cols, ",")
	for i, f := range fields {
		fields[i] = p + strings.TrimSpace(f)
	}
	return strings.Join(fields, ", ")
}

// AdvanceFloor implements state.CompactionStore.
func (s *Store) AdvanceFloor(ctx context.Context, v float64) error {
	return s.write(ctx, func() error {
		_, err := s.db.ExecContext(ctx, `UPDATE compaction_clock SET vfloor = max(vfloor, ?) WHERE id = 1`, v)
		return err
	})
}

// transition runs one conditional update of a compaction and maps "no row changed" to
// ErrNotFound or ErrConflict.
func (s *Store) transition(ctx context.Context, op, id, query string, args ...any) error {
	var n int64
	err := s.write(ctx, func() error {
		res, err := s.db.ExecContext(ctx, query, args...)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlitestate: %s compaction %s: %w", op, id, err)
	}
	if n == 0 {
		return s.noTransition(ctx, op, id)
	}
	return nil
}

func (s *Store) noTransition(ctx context.Context, op, id string) error {
	var one int
	err := s.db.QueryRowContext(ctx, `SELECT 1 FROM compactions WHERE id = ?`, id).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("sqlitestate: compaction %s: %w", id, state.ErrNotFound)
	}
	return fmt.Errorf("sqlitestate: %s compaction %s: %w", op, id, state.ErrConflict)
}

// DispatchCompaction implements state.CompactionStore. SQLite serializes writers, so the check
// that no other compaction of the agent is in flight and the update are one atomic statement.
func (s *Store) DispatchCompaction(ctx context.Context, id string, fromGeneration int, leaseUntil time.Time, floor float64) error {
	return s.transition(ctx, "dispatch", id, `UPDATE compactions SET generation = generation + 1, status = 'queued',
		lease_until = ?, vfloor = ? WHERE id = ? AND generation = ? AND status IN ('queued', 'running')
		AND NOT EXISTS (SELECT 1 FROM compactions o WHERE o.agent_id = compactions.agent_id AND o.id <> compactions.id
			AND o.generation > 0 AND o.status IN ('queued', 'running'))`,
		nanos(leaseUntil), floor, id, fromGeneration)
}

// StartCompaction implements state.CompactionStore.
func (s *Store) StartCompaction(ctx context.Context, id string, generation int, now, leaseUntil time.Time) (state.Compaction, error) {
	var c state.Compaction
	err := s.write(ctx, func() (err error) {
		c, err = scanCompaction(s.db.QueryRowContext(ctx, `UPDATE compactions SET status = 'running', attempts = attempts + 1,
			started_at = coalesce(started_at, ?), lease_until = ? WHERE id = ? AND generation = ? AND status IN ('queued', 'running')
			RETURNING `+compactionCols, nanos(now), nanos(leaseUntil), id, generation))
		return err
	})
	if errors.Is(err, sql.ErrNoRows) {
		return c, s.noTransition(ctx, "start", id)
	}
	if err != nil {
		return c, fmt.Errorf("sqlitestate: start compaction %s: %w", id, err)
	}
	return c, nil
}

// RenewCompaction implements state.CompactionStore.
func (s *Store) RenewCompaction(ctx context.Context, id string, generation int, leaseUntil time.Time) error {
	return s.transition(ctx, "renew", id, `UPDATE compactions SET lease_until = ? WHERE id = ? AND generation = ?
		AND status = 'running'`, nanos(leaseUntil), id, generation)
}

// RetryCompaction implements state.CompactionStore.
func (s *Store) RetryCompaction(ctx context.Context, id string, generation int, errMsg string, leaseUntil time.Time) error {
	return s.transition(ctx, "retry", id, `UPDATE compactions SET status = 'queued', error = ?, lease_until = ? WHERE id = ?
		AND generation = ? AND status = 'running'`, errMsg, nanos(leaseUntil), id, generation)
}

// FailCompaction implements state.CompactionStore.
func (s *Store) FailCompaction(ctx context.Context, id string, generation int, errMsg string, now time.Time) error {
	return s.transition(ctx, "fail", id, `UPDATE compactions SET status = 'failed', error = ?, finished_at = ?, lease_until = NULL
		WHERE id = ? AND generation = ? AND status IN ('queued', 'running')`, errMsg, nanos(now), id, generation)
}

// FlagSummaries implements state.CompactionStore.
func (s *Store) FlagSummaries(ctx context.Context, agentID string, ids []string, cause string) error {
	if len(ids) == 0 {
		return nil
	}
	args := []any{cause, agentID}
	for _, id := range ids {
		args = append(args, id)
	}
	return s.write(ctx, func() error {
		_, err := s.db.ExecContext(ctx, `UPDATE summaries SET status = 'stale', stale_cause = ? WHERE agent_id = ? AND id IN (?`+
			strings.Repeat(",?", len(ids)-1)+`)`, args...)
		if err != nil {
			return fmt.Errorf("sqlitestate: flag summaries: %w", err)
		}
		return nil
	})
}

// PinnedMessages implements state.CompactionStore.
func (s *Store) PinnedMessages(ctx context.Context, agentID string, throughSeq int64) ([]state.Message, error) {
	return queryMessages(ctx, s.db, `SELECT `+messageCols+` FROM messages m WHERE agent_id = ? AND pinned = 1 AND seq <= ?
		ORDER BY seq`, agentID, throughSeq)
}

// insertSummary writes a new summary inside a paging step. A second summary of one compaction
// violates summaries_compaction and answers ErrConflict.
func insertSummary(ctx context.Context, tx *sql.Tx, agentID string, sum *state.Summary) error {
	ids, _ := json.Marshal(sum.SourceMessageIDs)
	if sum.SourceMessageIDs == nil {
		ids = []byte("[]")
	}
	status := sum.Status
	if status == "" {
		status = state.SummaryValid
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO summaries (id, agent_id, text, tokens, from_seq, through_seq, previous_id,
		source_message_ids, passage_id, created_at, compaction_id, status, stale_cause, source_passage_ids)
		VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
		sum.ID, agentID, sum.Text, sum.Tokens, sum.FromSeq, sum.ThroughSeq, sum.PreviousID, string(ids), sum.PassageID,
		nanos(sum.CreatedAt), sum.CompactionID, status, sum.StaleCause, jsonList(sum.SourcePassageIDs))
	if err != nil {
		if strings.Contains(err.Error(), "UNIQUE constraint failed") {
			return fmt.Errorf("sqlitestate: summary %s of compaction %s: %w", sum.ID, sum.CompactionID, state.ErrConflict)
		}
		return fmt.Errorf("sqlitestate: insert summary: %w", err)
	}
	return nil
}

// applyCompaction writes a Change's Queue and Finish inside a paging step.
func applyCompaction(ctx context.Context, tx *sql.Tx, a state.Agent, ch state.Change) error {
	if c := ch.Queue; c != nil {
		if _, err := tx.ExecContext(ctx, `INSERT INTO compactions (id, agent_id, reason, status, from_seq, through_seq, created_at)
			VALUES (?,?,?,?,?,?,?)`, c.ID, a.ID, c.Reason, state.CompactionQueued, c.FromSeq, c.ThroughSeq, nanos(c.CreatedAt)); err != nil {
			return fmt.Errorf("sqlitestate: queue compaction %s: %w", c.ID, err)
		}
	}
	f := ch.Finish
	if f == nil {
		return nil
	}
	c := f.Compaction
	var retention any
	if c.Retention != nil {
		retention = *c.Retention
	}
	res, err := tx.ExecContext(ctx, `UPDATE compactions SET status = ?, summary_id = ?, tokens_in = ?, tokens_out = ?,
		retention = ?, missing_facts = ?, error = ?, finished_at = ?, lease_until = NULL
		WHERE id = ? AND agent_id = ? AND generation = ? AND status IN ('queued', 'running')`,
		c.Status, c.SummaryID, c.TokensIn, c.TokensOut, retention, jsonList(c.MissingFacts), c.Error, optNanos(c.FinishedAt),
		c.ID, a.ID, c.Generation)
	if err != nil {
		return fmt.Errorf("sqlitestate: finish compaction %s: %w", c.ID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("sqlitestate: finish compaction %s: not current or finished: %w", c.ID, state.ErrConflict)
	}
	for _, id := range f.Covers {
		if _, err := tx.ExecContext(ctx, `UPDATE compactions SET status = 'succeeded', summary_id = ?, covered_by = ?, finished_at = ?
			WHERE id = ? AND agent_id = ? AND status = 'queued' AND generation = 0`,
			c.SummaryID, c.ID, optNanos(c.FinishedAt), id, a.ID); err != nil {
			return fmt.Errorf("sqlitestate: cover compaction %s: %w", id, err)
		}
	}
	ch2 := f.Charge
	ps := nanos(ch2.PeriodStart)
	if _, err := tx.ExecContext(ctx, `INSERT INTO compaction_accounts (agent_id, vruntime, period_start, period_tokens, tokens_total)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT (agent_id) DO UPDATE SET
			vruntime = max(vruntime, ?) + excluded.tokens_total,
			period_tokens = CASE WHEN period_start = excluded.period_start THEN period_tokens + excluded.period_tokens
				ELSE excluded.period_tokens END,
			period_start = excluded.period_start,
			tokens_total = tokens_total + excluded.tokens_total`,
		a.ID, max(ch2.Floor, 0)+float64(ch2.Tokens), ps, ch2.Tokens, ch2.Tokens, ch2.Floor); err != nil {
		return fmt.Errorf("sqlitestate: charge compaction %s: %w", c.ID, err)
	}
	return nil
}
