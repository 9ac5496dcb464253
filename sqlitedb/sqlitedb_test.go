package sqlitedb

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestOpenAppliesMigrationsOnce(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatal("no migration recorded")
	}
	var mode string
	if err := db.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
		t.Fatalf("journal_mode = %q, %v; want wal", mode, err)
	}
	db.Close()

	db, err = Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var m int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations`).Scan(&m); err != nil {
		t.Fatal(err)
	}
	if m != n {
		t.Fatalf("reopen applied migrations again: %d rows, want %d", m, n)
	}
}

func TestCheckpointerEmptiesTheLog(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for i := range 200 {
		if _, err := db.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES (?, 'x')`, fmt.Sprint(i)); err != nil {
			t.Fatal(err)
		}
	}
	wal := filepath.Join(dir, FileName+"-wal")
	if st, err := os.Stat(wal); err != nil || st.Size() == 0 {
		t.Fatalf("the log should hold the writes before a checkpoint: %v", err)
	}
	c := &Checkpointer{DB: db, Interval: 10 * time.Millisecond}
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(wal); err != nil || st.Size() != 0 {
		t.Fatalf("after Stop the log should be truncated: size %d, %v", st.Size(), err)
	}
	var n int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM meta`).Scan(&n); err != nil || n != 200 {
		t.Fatalf("rows after checkpoint: %d, %v", n, err)
	}
	if err := Checkpoint(ctx, db, "BOGUS"); err == nil {
		t.Fatal("unknown mode must fail")
	}
}
