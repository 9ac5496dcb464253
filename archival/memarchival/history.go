package memarchival

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/memsvc/memsvc/archival"
)

const historySQL = `INSERT INTO passage_history (agent_id, passage_id, at, action, from_status,
	to_status, superseded_by, cause, confidence) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`

// appendHistory stores events inside tx.
func (s *Store) appendHistory(ctx context.Context, tx *sql.Tx, events []archival.Event) error {
	for _, e := range events {
		if _, err := s.stmts.Exec(ctx, tx, historySQL,
			e.AgentID, e.PassageID, e.At.UnixNano(), e.Action, string(e.FromStatus), string(e.ToStatus), e.SupersededBy,
			e.Cause, e.Confidence); err != nil {
			return fmt.Errorf("memarchival: history of %s: %w", e.PassageID, dbErr(ctx, err))
		}
	}
	return nil
}

// History returns a passage's events, oldest first, or ErrNotFound for an unknown passage.
func (s *Store) History(ctx context.Context, agentID, id string) ([]archival.Event, error) {
	if _, err := s.Get(ctx, agentID, id); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT seq, at, action, from_status, to_status, superseded_by, cause, confidence
		FROM passage_history WHERE agent_id = ? AND passage_id = ? ORDER BY seq`, agentID, id)
	if err != nil {
		return nil, fmt.Errorf("memarchival: history of %s: %w", id, dbErr(ctx, err))
	}
	defer rows.Close()
	out := []archival.Event{}
	for rows.Next() {
		e := archival.Event{AgentID: agentID, PassageID: id}
		var at int64
		var from, to string
		if err := rows.Scan(&e.Seq, &at, &e.Action, &from, &to, &e.SupersededBy, &e.Cause, &e.Confidence); err != nil {
			return nil, fmt.Errorf("memarchival: history of %s: %w", id, err)
		}
		e.At, e.FromStatus, e.ToStatus = fromNanos(at), archival.Status(from), archival.Status(to)
		out = append(out, e)
	}
	return out, dbErr(ctx, rows.Err())
}
