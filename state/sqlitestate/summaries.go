package sqlitestate

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/memsvc/memsvc/state"
)

const summaryCols = `id, agent_id, text, tokens, from_seq, through_seq, previous_id, source_message_ids, passage_id, created_at,
	compaction_id, status, stale_cause, source_passage_ids`

func scanSummary(r scanner) (state.Summary, error) {
	var s state.Summary
	var ids, pids string
	var created int64
	if err := r.Scan(&s.ID, &s.AgentID, &s.Text, &s.Tokens, &s.FromSeq, &s.ThroughSeq, &s.PreviousID, &ids, &s.PassageID, &created,
		&s.CompactionID, &s.Status, &s.StaleCause, &pids); err != nil {
		return s, err
	}
	if err := json.Unmarshal([]byte(ids), &s.SourceMessageIDs); err != nil {
		return s, fmt.Errorf("sqlitestate: summary %s ids: %w", s.ID, err)
	}
	if err := json.Unmarshal([]byte(pids), &s.SourcePassageIDs); err != nil {
		return s, fmt.Errorf("sqlitestate: summary %s passage ids: %w", s.ID, err)
	}
	s.CreatedAt = fromNanos(created)
	return s, nil
}

func getSummary(ctx context.Context, q querier, agentID, id string) (state.Summary, error) {
	s, err := scanSummary(q.QueryRowContext(ctx, `SELECT `+summaryCols+` FROM summaries WHERE agent_id = ? AND id = ?`, agentID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return s, fmt.Errorf("sqlitestate: summary %s: %w", id, state.ErrNotFound)
	}
	return s, err
}

// GetSummary implements state.Store.
func (s *Store) GetSummary(ctx context.Context, agentID, id string) (state.Summary, error) {
	return getSummary(ctx, s.db, agentID, id)
}

func (s *Store) summaries(ctx context.Context, query string, args ...any) ([]state.Summary, error) {
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlitestate: summaries: %w", err)
	}
	defer rows.Close()
	out := []state.Summary{}
	for rows.Next() {
		sum, err := scanSummary(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, sum)
	}
	return out, rows.Err()
}

// ListSummaries implements state.Store.
func (s *Store) ListSummaries(ctx context.Context, agentID string) ([]state.Summary, error) {
	return s.summaries(ctx, `SELECT `+summaryCols+` FROM summaries WHERE agent_id = ? ORDER BY created_at, id`, agentID)
}

// PendingSummaries implements state.Store.
func (s *Store) PendingSummaries(ctx context.Context, limit int) ([]state.Summary, error) {
	return s.summaries(ctx, `SELECT `+summaryCols+` FROM summaries WHERE passage_id = '' ORDER BY created_at, id LIMIT ?`, limit)
}

// MarkSummaryArchived implements state.Store.
func (s *Store) MarkSummaryArchived(ctx context.Context, summaryID, passageID string) error {
	err := s.write(ctx, func() error {
		_, err := s.db.ExecContext(ctx, `UPDATE summaries SET passage_id = ? WHERE id = ?`, passageID, summaryID)
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlitestate: mark summary %s archived: %w", summaryID, err)
	}
	return nil
}
