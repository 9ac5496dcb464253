package sqlitestate

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/memsvc/memsvc/state"
)

var (
	_ state.KeyStore    = (*Store)(nil)
	_ state.PolicyStore = (*Store)(nil)
)

const keyCols = `id, tenant, admin, name, hash, created_at, revoked_at, max_source`

func scanKey(r scanner) (state.APIKey, error) {
	var k state.APIKey
	var created int64
	var revoked sql.NullInt64
	if err := r.Scan(&k.ID, &k.Tenant, &k.Admin, &k.Name, &k.Hash, &created, &revoked, &k.MaxSource); err != nil {
		return k, err
	}
	k.CreatedAt = fromNanos(created)
	if revoked.Valid {
		t := fromNanos(revoked.Int64)
		k.RevokedAt = &t
	}
	return k, nil
}

// CreateKey implements state.KeyStore.
func (s *Store) CreateKey(ctx context.Context, k state.APIKey) error {
	err := s.write(ctx, func() error {
		_, err := s.db.ExecContext(ctx, `INSERT INTO api_keys (`+keyCols+`) VALUES (?,?,?,?,?,?,NULL,?)`,
			k.ID, k.Tenant, k.Admin, k.Name, k.Hash, nanos(k.CreatedAt), cmp.Or(k.MaxSource, "user"))
		return err
	})
	if err != nil && strings.Contains(err.Error(), "UNIQUE constraint failed") {
		return fmt.Errorf("sqlitestate: key %s: %w", k.ID, state.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("sqlitestate: create key %s: %w", k.ID, err)
	}
	return nil
}

// GetKey implements state.KeyStore.
func (s *Store) GetKey(ctx context.Context, id string) (state.APIKey, error) {
	k, err := scanKey(s.db.QueryRowContext(ctx, `SELECT `+keyCols+` FROM api_keys WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return k, fmt.Errorf("sqlitestate: key %s: %w", id, state.ErrNotFound)
	}
	if err != nil {
		return k, fmt.Errorf("sqlitestate: get key %s: %w", id, err)
	}
	return k, nil
}

// ListKeys implements state.KeyStore.
func (s *Store) ListKeys(ctx context.Context, opts state.ListOptions) ([]state.APIKey, string, error) {
	if opts.Cursor != "" && !strings.HasPrefix(opts.Cursor, "key_") {
		return nil, "", fmt.Errorf("sqlitestate: cursor %q: %w", opts.Cursor, state.ErrInvalid)
	}
	if opts.Limit <= 0 {
		opts.Limit = 100
	}
	query, args := `SELECT `+keyCols+` FROM api_keys WHERE id > ?`, []any{opts.Cursor}
	if opts.Tenant != "" {
		query, args = query+` AND tenant = ?`, append(args, opts.Tenant)
	}
	rows, err := s.db.QueryContext(ctx, query+` ORDER BY id LIMIT ?`, append(args, opts.Limit+1)...)
	if err != nil {
		return nil, "", fmt.Errorf("sqlitestate: list keys: %w", err)
	}
	defer rows.Close()
	var out []state.APIKey
	for rows.Next() {
		k, err := scanKey(rows)
		if err != nil {
			return nil, "", err
		}
		out = append(out, k)
	}
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	next := ""
	if len(out) > opts.Limit {
		out = out[:opts.Limit]
		next = out[len(out)-1].ID
	}
	return out, next, nil
}

// RevokeKey implements state.KeyStore.
func (s *Store) RevokeKey(ctx context.Context, id string, at time.Time) error {
	var n int64
	err := s.write(ctx, func() error {
		res, err := s.db.ExecContext(ctx, `UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?`, nanos(at), id)
		if err == nil {
			n, _ = res.RowsAffected()
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlitestate: revoke key %s: %w", id, err)
	}
	if n == 0 {
		return fmt.Errorf("sqlitestate: key %s: %w", id, state.ErrNotFound)
	}
	return nil
}

// HasKeys implements state.KeyStore.
func (s *Store) HasKeys(ctx context.Context) (bool, error) {
	var ok bool
	if err := s.db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM api_keys WHERE revoked_at IS NULL)`).Scan(&ok); err != nil {
		return false, fmt.Errorf("sqlitestate: has keys: %w", err)
	}
	return ok, nil
}

// TenantPermissions implements state.PolicyStore.
func (s *Store) TenantPermissions(ctx context.Context, tenant string) (state.Permissions, error) {
	var raw string
	err := s.db.QueryRowContext(ctx, `SELECT permissions FROM tenant_policies WHERE tenant = ?`, tenant).Scan(&raw)
	if errors.Is(err, sql.ErrNoRows) {
		return state.Permissions{}, nil
	}
	if err != nil {
		return state.Permissions{}, fmt.Errorf("sqlitestate: tenant %s permissions: %w", tenant, err)
	}
	var p state.Permissions
	if err := json.Unmarshal([]byte(raw), &p); err != nil {
		return p, fmt.Errorf("sqlitestate: tenant %s permissions: %w", tenant, err)
	}
	return p, nil
}

// SetTenantPermissions implements state.PolicyStore.
func (s *Store) SetTenantPermissions(ctx context.Context, tenant string, p state.Permissions, at time.Time) error {
	raw, _ := json.Marshal(p)
	err := s.write(ctx, func() error {
		_, err := s.db.ExecContext(ctx, `INSERT INTO tenant_policies (tenant, permissions, updated_at) VALUES (?,?,?)
			ON CONFLICT (tenant) DO UPDATE SET permissions = excluded.permissions, updated_at = excluded.updated_at`,
			tenant, string(raw), nanos(at))
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlitestate: set tenant %s permissions: %w", tenant, err)
	}
	return nil
}
