package sqlitestate

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/memsvc/memsvc/state"
)

func putBlocks(ctx context.Context, tx *sql.Tx, agentID string, blocks []state.Block) error {
	for _, b := range blocks {
		if _, err := tx.ExecContext(ctx, `INSERT INTO blocks (agent_id, label, value, lim, read_only, description)
			VALUES (?,?,?,?,?,?) ON CONFLICT (agent_id, label) DO UPDATE SET value=excluded.value, lim=excluded.lim,
			read_only=excluded.read_only, description=excluded.description`,
			agentID, b.Label, b.Value, b.Limit, b.ReadOnly, b.Description); err != nil {
			return fmt.Errorf("sqlitestate: put block %s: %w", b.Label, err)
		}
	}
	return nil
}

func listBlocks(ctx context.Context, q querier, agentID string) ([]state.Block, error) {
	rows, err := q.QueryContext(ctx, `SELECT label, value, lim, read_only, description FROM blocks WHERE agent_id = ? ORDER BY label`, agentID)
	if err != nil {
		return nil, fmt.Errorf("sqlitestate: list blocks: %w", err)
	}
	defer rows.Close()
	out := []state.Block{}
	for rows.Next() {
		var b state.Block
		if err := rows.Scan(&b.Label, &b.Value, &b.Limit, &b.ReadOnly, &b.Description); err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

// ListBlocks implements state.Store.
func (s *Store) ListBlocks(ctx context.Context, agentID string) ([]state.Block, error) {
	return listBlocks(ctx, s.db, agentID)
}

// GetBlock implements state.Store.
func (s *Store) GetBlock(ctx context.Context, agentID, label string) (state.Block, error) {
	b := state.Block{Label: label}
	err := s.db.QueryRowContext(ctx, `SELECT value, lim, read_only, description FROM blocks WHERE agent_id = ? AND label = ?`,
		agentID, label).Scan(&b.Value, &b.Limit, &b.ReadOnly, &b.Description)
	if errors.Is(err, sql.ErrNoRows) {
		return b, fmt.Errorf("sqlitestate: block %s: %w", label, state.ErrNotFound)
	}
	return b, err
}
