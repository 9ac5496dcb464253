package pgstate

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/memsvc/memsvc/state"
)

var (
	_ state.KeyStore    = (*Store)(nil)
	_ state.PolicyStore = (*Store)(nil)
)

const keyCols = `id, tenant, admin, name, hash, created_at, revoked_at, max_source`

func scanKey(r scanner) (state.APIKey, error) {
	var k state.APIKey
	if err := r.Scan(&k.ID, &k.Tenant, &k.Admin, &k.Name, &k.Hash, &k.CreatedAt, &k.RevokedAt, &k.MaxSource); err != nil {
		return k, err
	}
	k.CreatedAt = k.CreatedAt.UTC()
	if k.RevokedAt != nil {
		t := k.RevokedAt.UTC()
		k.RevokedAt = &t
	}
	return k, nil
}

// CreateKey implements state.KeyStore.
func (s *Store) CreateKey(ctx context.Context, k state.APIKey) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO api_keys (`+keyCols+`) VALUES ($1,$2,$3,$4,$5,$6,NULL,$7)`,
		k.ID, k.Tenant, k.Admin, k.Name, k.Hash, k.CreatedAt, cmp.Or(k.MaxSource, "user"))
	if isUniqueViolation(err) {
		return fmt.Errorf("pgstate: key %s: %w", k.ID, state.ErrConflict)
	}
	if err != nil {
		return wrap("create key "+k.ID, err)
	}
	return nil
}

// GetKey implements state.KeyStore.
func (s *Store) GetKey(ctx context.Context, id string) (state.APIKey, error) {
	k, err := scanKey(s.pool.QueryRow(ctx, `SELECT `+keyCols+` FROM api_keys WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return k, fmt.Errorf("pgstate: key %s: %w", id, state.ErrNotFound)
	}
	if err != nil {
		return k, wrap("get key "+id, err)
	}
	return k, nil
}

// ListKeys implements state.KeyStore. IDs compare in byte order, as in the embedded store.
func (s *Store) ListKeys(ctx context.Context, opts state.ListOptions) ([]state.APIKey, string, error) {
	if opts.Cursor != "" && !strings.HasPrefix(opts.Cursor, "key_") {
		return nil, "", fmt.Errorf("pgstate: cursor %q: %w", opts.Cursor, state.ErrInvalid)
	}
	limit := opts.Limit
	if limit <= 0 {
		limit = defaultListLimit
	}
	query, args := `SELECT `+keyCols+` FROM api_keys WHERE id COLLATE "C" > $1`, []any{opts.Cursor, limit + 1}
	if opts.Tenant != "" {
		query, args = query+` AND tenant = $3`, append(args, opts.Tenant)
	}
	rows, err := s.pool.Query(ctx, query+` ORDER BY id COLLATE "C" LIMIT $2`, args...)
	if err != nil {
		return nil, "", wrap("list keys", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (state.APIKey, error) { return scanKey(r) })
	if err != nil {
		return nil, "", wrap("list keys", err)
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		next = out[len(out)-1].ID
	}
	return out, next, nil
}

// RevokeKey implements state.KeyStore.
func (s *Store) RevokeKey(ctx context.Context, id string, at time.Time) error {
	tag, err := s.pool.Exec(ctx, `UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2`, at, id)
	if err != nil {
		return wrap("revoke key "+id, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("pgstate: key %s: %w", id, state.ErrNotFound)
	}
	return nil
}

// HasKeys implements state.KeyStore.
func (s *Store) HasKeys(ctx context.Context) (bool, error) {
	var ok bool
	if err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM api_keys WHERE revoked_at IS NULL)`).Scan(&ok); err != nil {
		return false, wrap("has keys", err)
	}
	return ok, nil
}

// TenantPermissions implements state.PolicyStore.
func (s *Store) TenantPermissions(ctx context.Context, tenant string) (state.Permissions, error) {
	var raw []byte
	err := s.pool.QueryRow(ctx, `SELECT permissions FROM tenant_policies WHERE tenant = $1`, tenant).Scan(&raw)
	if errors.Is(err, pgx.ErrNoRows) {
		return state.Permissions{}, nil
	}
	if err != nil {
		return state.Permissions{}, wrap("tenant "+tenant+" permissions", err)
	}
	p, err := state.DecodePermissions(raw)
	if err != nil || p == nil {
		return state.Permissions{}, err
	}
	return *p, nil
}

// SetTenantPermissions implements state.PolicyStore.
func (s *Store) SetTenantPermissions(ctx context.Context, tenant string, p state.Permissions, at time.Time) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO tenant_policies (tenant, permissions, updated_at) VALUES ($1, $2, $3)
		ON CONFLICT (tenant) DO UPDATE SET permissions = excluded.permissions, updated_at = excluded.updated_at`,
		tenant, state.EncodePermissions(&p), at)
	if err != nil {
		return wrap("set tenant "+tenant+" permissions", err)
	}
	return nil
}
