package migrations

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

// advisoryLockKey serializes migrations between memsvc processes starting together on one
// database ("memsvc" in ASCII).
const advisoryLockKey = 0x6d656d737663

// ApplyPostgres applies the pending PostgreSQL migrations over conn, holding a session advisory
// lock so that replicas starting together do not race, and returns how many it applied. {{dim}} in
// a migration becomes dim. On a database migrated before, it checks that the recorded vector
// dimension equals dim.
func ApplyPostgres(ctx context.Context, conn *pgx.Conn, dim int) (int, error) {
	if dim <= 0 {
		return 0, fmt.Errorf("migrations: vector dimension %d", dim)
	}
	ms, err := Load("postgres")
	if err != nil {
		return 0, err
	}
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, int64(advisoryLockKey)); err != nil {
		return 0, fmt.Errorf("migrations: advisory lock: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, int64(advisoryLockKey))
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return 0, fmt.Errorf("migrations: create schema_migrations: %w", err)
	}
	applied := 0
	for _, m := range ms {
		done, err := applyPostgres(ctx, conn, m, dim)
		if err != nil {
			return applied, err
		}
		if done {
			applied++
		}
	}
	var have string
	if err := conn.QueryRow(ctx, `SELECT value FROM meta WHERE key = 'vector_dim'`).Scan(&have); err != nil {
		return applied, fmt.Errorf("migrations: read vector_dim: %w", err)
	}
	if have != strconv.Itoa(dim) {
		return applied, fmt.Errorf("migrations: the database stores %s-dimensional vectors but the embedder makes %d; "+
			"start with the embedder the database was created with, or move it to this one with memsvc reembed", have, dim)
	}
	return applied, nil
}

func applyPostgres(ctx context.Context, conn *pgx.Conn, m Migration, dim int) (bool, error) {
	tx, err := conn.Begin(ctx)
	if err != nil {
		return false, fmt.Errorf("migrations: begin %s: %w", m.Name, err)
	}
	defer tx.Rollback(ctx)
	var n int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM schema_migrations WHERE version = $1`, m.Version).Scan(&n); err != nil {
		return false, fmt.Errorf("migrations: check %s: %w", m.Name, err)
	}
	if n > 0 {
		return false, nil
	}
	sql := strings.ReplaceAll(m.SQL, "{{dim}}", strconv.Itoa(dim))
	if _, err := tx.Exec(ctx, sql); err != nil {
		return false, fmt.Errorf("migrations: apply %s: %w", m.Name, err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, m.Version, m.Name); err != nil {
		return false, fmt.Errorf("migrations: record %s: %w", m.Name, err)
	}
	return true, tx.Commit(ctx)
}
