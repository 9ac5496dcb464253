package pgstate

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/memsvc/memsvc/state"
)

// queueBlocks queues an upsert of each block. An attachment (SharedID set) stores only its own
// flags; its value lives in shared_blocks. An own block clears shared_id, which is how a
// copy-on-write write turns an attachment into the agent's private copy.
func queueBlocks(b *batch, agentID string, blocks []state.Block) {
	for _, bl := range blocks {
		var shared any
		if bl.SharedID != "" {
			shared = bl.SharedID
			bl.Value, bl.Limit, bl.Description = "", 0, ""
		}
		b.queue("put block "+bl.Label, `INSERT INTO blocks (agent_id, label, value, lim, read_only, description, shared_id, copy_on_write)
			VALUES ($1,$2,$3,$4,$5,$6,$7,$8)
			ON CONFLICT (agent_id, label) DO UPDATE SET value = excluded.value, lim = excluded.lim,
			read_only = excluded.read_only, description = excluded.description, shared_id = excluded.shared_id,
			copy_on_write = excluded.copy_on_write`,
			agentID, bl.Label, bl.Value, bl.Limit, bl.ReadOnly, bl.Description, shared, bl.CopyOnWrite)
	}
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
	rows, err := q.Query(ctx, `SELECT `+blockCols+` WHERE b.agent_id = $1 ORDER BY b.label COLLATE "C"`, agentID)
	if err != nil {
		return nil, wrap("list blocks", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (state.Block, error) { return scanBlock(r) })
	if err != nil {
		return nil, wrap("list blocks", err)
	}
	return out, nil
}

// ListBlocks implements state.Store. Labels sort in byte order, as in the embedded store.
func (s *Store) ListBlocks(ctx context.Context, agentID string) ([]state.Block, error) {
	return listBlocks(ctx, s.pool, agentID)
}

// GetBlock implements state.Store.
func (s *Store) GetBlock(ctx context.Context, agentID, label string) (state.Block, error) {
	b, err := scanBlock(s.pool.QueryRow(ctx, `SELECT `+blockCols+` WHERE b.agent_id = $1 AND b.label = $2`, agentID, label))
	if errors.Is(err, pgx.ErrNoRows) {
		return state.Block{Label: label}, fmt.Errorf("pgstate: block %s: %w", label, state.ErrNotFound)
	}
	if err != nil {
		return b, wrap("get block "+label, err)
	}
	return b, nil
}
