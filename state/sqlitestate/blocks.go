package sqlitestate

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/memsvc/memsvc/state"
)

// putBlocks upserts blocks. An attachment (SharedID set) stores only its own flags; its value
// lives in shared_blocks. An own block clears shared_id, which is how a copy-on-write write
// turns an attachment into the agent's private copy.
func putBlocks(ctx context.Context, tx *sql.Tx, agentID string, blocks []state.Block) error {
	for _, b := range blocks {
		var shared any
		if b.SharedID != "" {
			shared = b.SharedID
			b.Value, b.Limit, b.Description = "", 0, ""
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO blocks (agent_id, label, value, lim, read_only, description, shared_id, copy_on_write)
			VALUES (?,?,?,?,?,?,?,?) ON CONFLICT (agent_id, label) DO UPDATE SET value=excluded.value, lim=excluded.lim,
			read_only=excluded.read_only, description=excluded.description, shared_id=excluded.shared_id,
			copy_on_write=excluded.copy_on_write`,
			agentID, b.Label, b.Value, b.Limit, b.ReadOnly, b.Description, shared, b.CopyOnWrite); err != nil {
			return fmt.Errorf("sqlitestate: put block %s: %w", b.Label, err)
		}
	}
	return nil
}

// blockCols reads a block as the agent sees it: an attachment takes the shared block's value.
const blockCols = `b.label, COALESCE(s.value, b.value), COALESCE(s.lim, b.lim), b.read_only, COALESCE(s.description, b.description),
	COALESCE(b.shared_id, ''), b.copy_on_write, COALESCE(s.version, 0)
	FROM blocks b LEFT JOIN shared_blocks s ON s.id = b.shared_id`

func scanBlock(r scanner) (state.Block, error) {
	var b state.Block
	err := r.Scan(&b.Label, &b.Value, &b.Limit, &b.ReadOnly, &b.Description, &b.SharedID, &b.CopyOnWrite, &b.Version)
	return b, err
}

func listBlocks(ctx context.Context, q querier, agentID string) ([]state.Block, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+blockCols+` WHERE b.agent_id = ? ORDER BY b.label`, agentID)
	if err != nil {
		return nil, fmt.Errorf("sqlitestate: list blocks: %w", err)
	}
	defer rows.Close()
	out := []state.Block{}
	for rows.Next() {
		b, err := scanBlock(rows)
		if err != nil {
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
	b, err := scanBlock(s.db.QueryRowContext(ctx, `SELECT `+blockCols+` WHERE b.agent_id = ? AND b.label = ?`, agentID, label))
	if errors.Is(err, sql.ErrNoRows) {
		return state.Block{Label: label}, fmt.Errorf("sqlitestate: block %s: %w", label, state.ErrNotFound)
	}
	return b, err
}
