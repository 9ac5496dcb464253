package pgstate

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/memsvc/memsvc/state"
)

// queueBlocks queues an upsert of each block.
func queueBlocks(b *batch, agentID string, blocks []state.Block) {
	for _, bl := range blocks {
		b.queue("put block "+bl.Label, `INSERT INTO blocks (agent_id, label, value, lim, read_only, description) VALUES ($1,$2,$3,$4,$5,$6)
			ON CONFLICT (agent_id, label) DO UPDATE SET value = excluded.value, lim = excluded.lim,
			read_only = excluded.read_only, description = excluded.description`,
			agentID, bl.Label, bl.Value, bl.Limit, bl.ReadOnly, bl.Description)
	}
}

func listBlocks(ctx context.Context, q querier, agentID string) ([]state.Block, error) {
	rows, err := q.Query(ctx, `SELECT label, value, lim, read_only, description FROM blocks WHERE agent_id = $1
		ORDER BY label COLLATE "C"`, agentID)
	if err != nil {
		return nil, wrap("list blocks", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (state.Block, error) {
		var b state.Block
		err := r.Scan(&b.Label, &b.Value, &b.Limit, &b.ReadOnly, &b.Description)
		return b, err
	})
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
	b := state.Block{Label: label}
	err := s.pool.QueryRow(ctx, `SELECT value, lim, read_only, description FROM blocks WHERE agent_id = $1 AND label = $2`,
		agentID, label).Scan(&b.Value, &b.Limit, &b.ReadOnly, &b.Description)
	if errors.Is(err, pgx.ErrNoRows) {
		return b, fmt.Errorf("pgstate: block %s: %w", label, state.ErrNotFound)
	}
	if err != nil {
		return b, wrap("get block "+label, err)
	}
	return b, nil
}
