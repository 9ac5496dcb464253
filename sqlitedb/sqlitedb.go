// Package sqlitedb opens memsvc's embedded SQLite database (modernc.org/sqlite, pure Go, so the
// binary needs no C toolchain and no system library) with the pragmas memsvc relies on, and applies
// the embedded migrations.
//
// Durability: WAL with synchronous=NORMAL survives a process crash (kill -9) with every committed
// transaction intact; only an OS crash or power loss can drop the last commits. Every transaction
// begins IMMEDIATE, taking the write lock at once, so read-then-write steps never deadlock.
package sqlitedb

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"

	"github.com/memsvc/memsvc/migrations"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// FileName is the database's file name under the data directory.
const FileName = "memsvc.db"

// Open opens (creating when needed) dir/memsvc.db and applies pending migrations.
func Open(ctx context.Context, dir string) (*sql.DB, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("sqlitedb: create data dir: %w", err)
	}
	return OpenFile(ctx, filepath.Join(dir, FileName))
}

// OpenFile opens the database at path and applies pending migrations.
func OpenFile(ctx context.Context, path string) (*sql.DB, error) {
	q := url.Values{}
	for _, p := range []string{"journal_mode(WAL)", "synchronous(NORMAL)", "busy_timeout(10000)", "foreign_keys(1)",
		"mmap_size(268435456)", "cache_size(-16384)", "wal_autocheckpoint(0)"} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("sqlitedb: open %s: %w", path, err)
	}
	db.SetMaxOpenConns(8)
	db.SetMaxIdleConns(8)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlitedb: open %s: %w", path, err)
	}
	if _, err := migrations.ApplySQLite(ctx, db); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}
