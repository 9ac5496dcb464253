package sqlitestate

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/memsvc/memsvc/state"
)

var _ state.SharedBlockStore = (*Store)(nil)

// CreateSharedBlock implements state.SharedBlockStore.
func (s *Store) CreateSharedBlock(ctx context.Context, b state.SharedBlock, created state.BlockEvent) error {
	b.Tenant = state.AgentTenant(ctx, b.Tenant)
	return s.writeTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO shared_blocks (id, tenant, label, value, lim, description, version,
			created_at, updated_at) VALUES (?,?,?,?,?,?,1,?,?)`, b.ID, b.Tenant, b.Label, b.Value, b.Limit, b.Description,
			nanos(b.CreatedAt), nanos(b.UpdatedAt)); err != nil {
			if strings.Contains(err.Error(), "UNIQUE constraint failed") {
				return fmt.Errorf("sqlitestate: shared block %s: %w", b.ID, state.ErrConflict)
			}
			return fmt.Errorf("sqlitestate: create shared block %s: %w", b.ID, err)
		}
		return insertBlockEvents(ctx, tx, []state.BlockEvent{created})
	})
}

// GetSharedBlock implements state.SharedBlockStore.
func (s *Store) GetSharedBlock(ctx context.Context, id string) (state.SharedBlock, error) {
	query, args := `SELECT id, tenant, label, value, lim, description, version, created_at, updated_at
		FROM shared_blocks WHERE id = ?`, []any{id}
	if t, all := state.TenantFilter(ctx); !all {
		query, args = query+` AND tenant = ?`, append(args, t)
	}
	var b state.SharedBlock
	var created, updated int64
	err := s.db.QueryRowContext(ctx, query, args...).Scan(&b.ID, &b.Tenant, &b.Label, &b.Value, &b.Limit, &b.Description,
		&b.Version, &created, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return b, fmt.Errorf("sqlitestate: shared block %s: %w", id, state.ErrNotFound)
	}
	if err != nil {
		return b, fmt.Errorf("sqlitestate: get shared block %s: %w", id, err)
	}
	b.CreatedAt, b.UpdatedAt = fromNanos(created), fromNanos(updated)
	rows, err := s.db.QueryContext(ctx, `SELECT agent_id, read_only, copy_on_write FROM blocks WHERE shared_id = ? ORDER BY agent_id`, id)
	if err != nil {
		return b, fmt.Errorf("sqlitestate: attachments of %s: %w", id, err)
	}
	defer rows.Close()
	b.Attachments = []state.Attachment{}
	for rows.Next() {
		var at state.Attachment
		if err := rows.Scan(&at.AgentID, &at.ReadOnly, &at.CopyOnWrite); err != nil {
			return b, err
		}
		b.Attachments = append(b.Attachments, at)
	}
	return b, rows.Err()
}

// BlockHistory implements state.SharedBlockStore.
func (s *Store) BlockHistory(ctx context.Context, owner, label string, limit int) ([]state.BlockEvent, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT seq, shared_id, agent_id, label, action, value_before, value_after, undoes, cause, at
		FROM block_history WHERE owner = ? AND label = ? ORDER BY seq DESC LIMIT ?`, owner, label, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlitestate: block history: %w", err)
	}
	defer rows.Close()
	var out []state.BlockEvent
	for rows.Next() {
		var e state.BlockEvent
		var at int64
		if err := rows.Scan(&e.Seq, &e.SharedID, &e.AgentID, &e.Label, &e.Action, &e.Before, &e.After, &e.Undoes, &e.Cause, &at); err != nil {
			return nil, err
		}
		e.At = fromNanos(at)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, nil
}

// writeShared writes shared blocks whose version has not moved since they were read, and
// answers ErrConflict for one that has.
func writeShared(ctx context.Context, tx *sql.Tx, ws []state.SharedBlock) error {
	for _, w := range ws {
		res, err := tx.ExecContext(ctx, `UPDATE shared_blocks SET value = ?, lim = ?, description = ?, version = version + 1,
			updated_at = ? WHERE id = ? AND version = ?`, w.Value, w.Limit, w.Description, nanos(w.UpdatedAt), w.ID, w.Version)
		if err != nil {
			return fmt.Errorf("sqlitestate: write shared block %s: %w", w.ID, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("sqlitestate: shared block %s changed since it was read: %w", w.ID, state.ErrConflict)
		}
	}
	return nil
}

func insertBlockEvents(ctx context.Context, tx *sql.Tx, es []state.BlockEvent) error {
	for _, e := range es {
		if _, err := tx.ExecContext(ctx, `INSERT INTO block_history (owner, label, shared_id, agent_id, action, value_before,
			value_after, undoes, cause, at) VALUES (?,?,?,?,?,?,?,?,?,?)`, e.Owner(), e.Label, e.SharedID, e.AgentID, e.Action,
			e.Before, e.After, e.Undoes, e.Cause, nanos(e.At)); err != nil {
			return fmt.Errorf("sqlitestate: block history: %w", err)
		}
	}
	return nil
}
