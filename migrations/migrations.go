// Package migrations holds memsvc's numbered SQL migrations, embedded in the binary, and applies
// them. The embedded store's live in sqlite/; PostgreSQL's in postgres/. A migration is applied once,
// in order of its number, inside a transaction, and recorded in schema_migrations.
package migrations

import (
	"context"
	"database/sql"
	stdembed "embed"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"time"
)

//go:embed sqlite/*.sql postgres/*.sql
var files stdembed.FS

// Migration is one numbered SQL file.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// Load returns the migrations of one dialect directory ("sqlite" or "postgres"), ordered.
func Load(dialect string) ([]Migration, error) {
	entries, err := fs.ReadDir(files, dialect)
	if err != nil {
		return nil, fmt.Errorf("migrations: %s: %w", dialect, err)
	}
	var ms []Migration
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".sql") {
			continue
		}
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("migrations: %s/%s: name must start with a number and '_'", dialect, name)
		}
		b, err := files.ReadFile(dialect + "/" + name)
		if err != nil {
			return nil, err
		}
		ms = append(ms, Migration{Version: v, Name: name, SQL: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Version < ms[j].Version })
	for i := 1; i < len(ms); i++ {
		if ms[i].Version == ms[i-1].Version {
			return nil, fmt.Errorf("migrations: %s: two migrations numbered %d", dialect, ms[i].Version)
		}
	}
	return ms, nil
}

// ApplySQLite applies the pending SQLite migrations to db and returns how many it applied.
// SQLite serializes writers, so concurrent callers do not race: each migration's transaction
// re-checks whether it was applied.
func ApplySQLite(ctx context.Context, db *sql.DB) (int, error) {
	ms, err := Load("sqlite")
	if err != nil {
		return 0, err
	}
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`); err != nil {
		return 0, fmt.Errorf("migrations: create schema_migrations: %w", err)
	}
	applied := 0
	for _, m := range ms {
		done, err := applyOne(ctx, db, m)
		if err != nil {
			return applied, err
		}
		if done {
			applied++
		}
	}
	return applied, nil
}

func applyOne(ctx context.Context, db *sql.DB, m Migration) (bool, error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("migrations: begin %s: %w", m.Name, err)
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = ?`, m.Version).Scan(&n); err != nil {
		return false, fmt.Errorf("migrations: check %s: %w", m.Name, err)
	}
	if n > 0 {
		return false, nil
	}
	if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
		return false, fmt.Errorf("migrations: apply %s: %w", m.Name, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
		m.Version, m.Name, time.Now().UnixNano()); err != nil {
		return false, fmt.Errorf("migrations: record %s: %w", m.Name, err)
	}
	return true, tx.Commit()
}
