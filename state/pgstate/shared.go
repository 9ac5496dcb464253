package pgstate

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/memsvc/memsvc/state"
)

var _ state.SharedBlockStore = (*Store)(nil)

// CreateSharedBlock implements state.SharedBlockStore.
func (s *Store) CreateSharedBlock(ctx context.Context, sb state.SharedBlock, created state.BlockEvent) error {
	sb.Tenant = state.AgentTenant(ctx, sb.Tenant)
	b := &batch{}
	b.queue("create shared block "+sb.ID, `INSERT INTO shared_blocks (id, tenant, label, value, lim, description, version,
		created_at, updated_at) VALUES ($1,$2,$3,$4,$5,$6,1,$7,$8)`, sb.ID, sb.Tenant, sb.Label, sb.Value, sb.Limit,
		sb.Description, sb.CreatedAt, sb.UpdatedAt)
	queueBlockEvents(b, []state.BlockEvent{created})
	if err := b.send(ctx, s.pool); err != nil {
		if isUniqueViolation(err) {
			return fmt.Errorf("pgstate: shared block %s: %w", sb.ID, state.ErrConflict)
		}
		return err
	}
	return nil
}

// GetSharedBlock implements state.SharedBlockStore.
func (s *Store) GetSharedBlock(ctx context.Context, id string) (state.SharedBlock, error) {
	query, args := `SELECT id, tenant, label, value, lim, description, version, created_at, updated_at
		FROM shared_blocks WHERE id = $1`, []any{id}
	if t, all := state.TenantFilter(ctx); !all {
		query, args = query+` AND tenant = $2`, append(args, t)
	}
	var b state.SharedBlock
	err := s.pool.QueryRow(ctx, query, args...).Scan(&b.ID, &b.Tenant, &b.Label, &b.Value, &b.Limit, &b.Description,
		&b.Version, &b.CreatedAt, &b.UpdatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return b, fmt.Errorf("pgstate: shared block %s: %w", id, state.ErrNotFound)
	}
	if err != nil {
		return b, wrap("get shared block "+id, err)
	}
	b.CreatedAt, b.UpdatedAt = b.CreatedAt.UTC(), b.UpdatedAt.UTC()
	rows, err := s.pool.Query(ctx, `SELECT agent_id, read_only, copy_on_write FROM blocks WHERE shared_id = $1
		ORDER BY agent_id COLLATE "C"`, id)
	if err != nil {
		return b, wrap("attachments of "+id, err)
	}
	b.Attachments, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (state.Attachment, error) {
		var at state.Attachment
		err := r.Scan(&at.AgentID, &at.ReadOnly, &at.CopyOnWrite)
		return at, err
	})
	if err != nil {
		return b, wrap("attachments of "+id, err)
	}
	if b.Attachments == nil {
		b.Attachments = []state.Attachment{}
	}
	return b, nil
}

// BlockHistory implements state.SharedBlockStore.
func (s *Store) BlockHistory(ctx context.Context, owner, label string, limit int) ([]state.BlockEvent, error) {
	rows, err := s.pool.Query(ctx, `SELECT * FROM (SELECT seq, shared_id, agent_id, label, action, value_before, value_after,
		undoes, cause, at FROM block_history WHERE owner = $1 AND label = $2 ORDER BY seq DESC LIMIT $3) h ORDER BY seq`,
		owner, label, limit)
	if err != nil {
		return nil, wrap("block history", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (state.BlockEvent, error) {
		var e state.BlockEvent
		err := r.Scan(&e.Seq, &e.SharedID, &e.AgentID, &e.Label, &e.Action, &e.Before, &e.After, &e.Undoes, &e.Cause, &e.At)
		e.At = e.At.UTC()
		return e, err
	})
	if err != nil {
		return nil, wrap("block history", err)
	}
	return out, nil
}

// writeShared writes shared blocks whose version has not moved since they were read, and
// answers ErrConflict for one that has. Under READ COMMITTED a concurrent writer of the same
// block waits for this one's row lock, then re-checks the version and finds it moved.
func writeShared(ctx context.Context, tx pgx.Tx, ws []state.SharedBlock) error {
	for _, w := range ws {
		tag, err := tx.Exec(ctx, `UPDATE shared_blocks SET value = $1, lim = $2, description = $3, version = version + 1,
			updated_at = $4 WHERE id = $5 AND version = $6`, w.Value, w.Limit, w.Description, w.UpdatedAt, w.ID, w.Version)
		if err != nil {
			return wrap("write shared block "+w.ID, err)
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("pgstate: shared block %s changed since it was read: %w", w.ID, state.ErrConflict)
		}
	}
	return nil
}

func queueBlockEvents(b *batch, es []state.BlockEvent) {
	for _, e := range es {
		b.queue("block history", `INSERT INTO block_history (owner, label, shared_id, agent_id, action, value_before,
			value_after, undoes, cause, at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)`, e.Owner(), e.Label, e.SharedID,
			e.AgentID, e.Action, e.Before, e.After, e.Undoes, e.Cause, e.At)
	}
}
