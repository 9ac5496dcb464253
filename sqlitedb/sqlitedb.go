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
	db, err := open(ctx, path, 8, "wal_autocheckpoint(0)")
	if err != nil {
		return nil, err
	}
	if _, err := migrations.ApplySQLite(ctx, db); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// JobsFileName is the job queue's database under the data directory (see OpenJobs).
const JobsFileName = "jobs.db"

// OpenJobs opens (creating when needed) dir/jobs.db, the job queue's own database, without
// memsvc's migrations (River applies its own). The job queue lives in a file of its own so that
// its writes (River polls for jobs with an UPDATE every fetch interval, and inserts, completes and
// elects a leader outside memsvc's write gate) never hold memsvc.db's write lock: a request's
// group commit would otherwise find the lock taken and sleep in SQLite's busy handler while every
// other request queued behind it. Nothing in it is the source of truth (the state store's
// compaction rows are, and a compaction whose job is lost is handed out again when its lease
// expires), so it needs no transaction with memsvc.db. One connection, as the riversqlite driver
// recommends, so that River's own operations queue in Go rather than in the busy handler; SQLite
// checkpoints its log automatically, which stalls only the job queue.
func OpenJobs(ctx context.Context, dir string) (*sql.DB, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("sqlitedb: create data dir: %w", err)
	}
	return open(ctx, filepath.Join(dir, JobsFileName), 1)
}

func open(ctx context.Context, path string, conns int, pragmas ...string) (*sql.DB, error) {
	q := url.Values{}
	for _, p := range append([]string{"journal_mode(WAL)", "synchronous(NORMAL)", "busy_timeout(10000)", "foreign_keys(1)",
		"mmap_size(268435456)", "cache_size(-16384)"}, pragmas...) {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("sqlitedb: open %s: %w", path, err)
	}
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlitedb: open %s: %w", path, err)
	}
	return db, nil
}
