package pgstate

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/memsvc/memsvc/state"
)

const summaryCols = `id, agent_id, text, tokens, from_seq, through_seq, previous_id, source_message_ids, passage_id, created_at,
	compaction_id, status, stale_cause, source_passage_ids`

func scanSummary(r scanner) (state.Summary, error) {
	var s state.Summary
	err := r.Scan(&s.ID, &s.AgentID, &s.Text, &s.Tokens, &s.FromSeq, &s.ThroughSeq, &s.PreviousID, &s.SourceMessageIDs,
		&s.PassageID, &s.CreatedAt, &s.CompactionID, &s.Status, &s.StaleCause, &s.SourcePassageIDs)
	s.CreatedAt = s.CreatedAt.UTC()
	return s, err
}

// queueSummary queues the insertion of a new summary of agentID.
func queueSummary(b *batch, agentID string, sum *state.Summary) {
	ids := sum.SourceMessageIDs
	if ids == nil {
		ids = []string{} // the column is NOT NULL
	}
	pids := sum.SourcePassageIDs
	if pids == nil {
		pids = []string{}
	}
	status := sum.Status
	if status == "" {
		status = state.SummaryValid
	}
	b.queue("insert summary "+sum.ID, `INSERT INTO summaries (`+summaryCols+`) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14)`,
		sum.ID, agentID, sum.Text, sum.Tokens, sum.FromSeq, sum.ThroughSeq, sum.PreviousID, ids, sum.PassageID, sum.CreatedAt,
		sum.CompactionID, status, sum.StaleCause, pids)
}

func getSummary(ctx context.Context, q querier, agentID, id string) (state.Summary, error) {
	s, err := scanSummary(q.QueryRow(ctx, `SELECT `+summaryCols+` FROM summaries WHERE agent_id = $1 AND id = $2`, agentID, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return s, fmt.Errorf("pgstate: summary %s: %w", id, state.ErrNotFound)
	}
	if err != nil {
		return s, wrap("get summary "+id, err)
	}
	return s, nil
}

// GetSummary implements state.Store.
func (s *Store) GetSummary(ctx context.Context, agentID, id string) (state.Summary, error) {
	return getSummary(ctx, s.pool, agentID, id)
}

func (s *Store) summaries(ctx context.Context, op, query string, args ...any) ([]state.Summary, error) {
	rows, err := s.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, wrap(op, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (state.Summary, error) { return scanSummary(r) })
	if err != nil {
		return nil, wrap(op, err)
	}
	return out, nil
}

// ListSummaries implements state.Store.
func (s *Store) ListSummaries(ctx context.Context, agentID string) ([]state.Summary, error) {
	return s.summaries(ctx, "list summaries", `SELECT `+summaryCols+` FROM summaries WHERE agent_id = $1
		ORDER BY created_at, id COLLATE "C"`, agentID)
}

// PendingSummaries implements state.Store: the outbox is the summaries whose passage_id is empty
// (the summaries_outbox index).
func (s *Store) PendingSummaries(ctx context.Context, limit int) ([]state.Summary, error) {
	return s.summaries(ctx, "pending summaries", `SELECT `+summaryCols+` FROM summaries WHERE passage_id = ''
		ORDER BY created_at, id COLLATE "C" LIMIT $1`, limit)
}

// MarkSummaryArchived implements state.Store. An unknown summary is ignored, as in the embedded
// store: the summary went with its deleted agent, and archival keeps the passage.
func (s *Store) MarkSummaryArchived(ctx context.Context, summaryID, passageID string) error {
	if _, err := s.pool.Exec(ctx, `UPDATE summaries SET passage_id = $1 WHERE id = $2`, passageID, summaryID); err != nil {
		return wrap("mark summary "+summaryID+" archived", err)
	}
	return nil
}
