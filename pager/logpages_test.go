package pager

import (
	"context"
	"database/sql"
	"encoding/binary"
	"fmt"
	"os"
	"testing"

	"github.com/memsvc/memsvc/state"
)

// BenchmarkAppendLog counts what one append writes to the embedded store's write-ahead log, in
// pages, and which b-tree each page belongs to (a table, an index). Sequential appends of one
// message, as BenchmarkAppend, with no checkpoint, so that the log holds every page written.
// Unlike a time, the figure does not depend on the host: it says which part of the schema a
// message costs. Metrics: log-pages/op in all, and pages/op of each b-tree (its name after
// "pages-").
func BenchmarkAppendLog(b *testing.B) {
	svc, _, _, db := newTestServiceDB(b)
	ctx := state.WithTenant(context.Background(), state.DefaultTenant)
	a, err := svc.CreateAgent(ctx, AgentSpec{Name: "bench", System: "You are a helpful assistant.", ContextWindow: MaxContextWindow})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		b.Fatal(err)
	}
	n := 0
	for ; b.Loop(); n++ {
		if _, err := svc.Append(ctx, a.ID, []MessageInput{{Role: "user", Content: fmt.Sprintf(
			"Message %d: we talked about the garden, the weather on Tuesday, and the trip to Lisbon next month.", n)}}); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	pages, err := logPages(ctx, db)
	if err != nil {
		b.Fatal(err)
	}
	total := 0
	for name, c := range pages {
		total += c
		b.ReportMetric(float64(c)/float64(n), "pages-"+name+"/op")
	}
	b.ReportMetric(float64(total)/float64(n), "log-pages/op")
}

// TestLogPages checks BenchmarkAppendLog's counter: one append writes its message's row and
// its agent's row.
func TestLogPages(t *testing.T) {
	svc, _, _, db := newTestServiceDB(t)
	ctx := state.WithTenant(context.Background(), state.DefaultTenant)
	a, err := svc.CreateAgent(ctx, AgentSpec{Name: "log", ContextWindow: MaxContextWindow})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		t.Fatal(err)
	}
	if got, err := logPages(ctx, db); err != nil || len(got) != 0 {
		t.Fatalf("after a truncating checkpoint: %v, %v; want an empty log", got, err)
	}
	if _, err := svc.Append(ctx, a.ID, []MessageInput{{Role: "user", Content: "hello"}}); err != nil {
		t.Fatal(err)
	}
	got, err := logPages(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"messages", "agents"} {
		if got[name] < 1 {
			t.Errorf("pages of %s after one append: %d, want at least 1 (all: %v)", name, got[name], got)
		}
	}
}

// logPages counts the frames in db's write-ahead log by the b-tree (table or index, as SQLite's
// dbstat names it) that each frame's page belongs to now; page 1, the database header's, counts
// under sqlite_schema (whose root it holds), and a page no b-tree holds now (freed) under
// "other". A page written twice counts twice.
func logPages(ctx context.Context, db *sql.DB) (map[string]int, error) {
	var path string
	if err := db.QueryRowContext(ctx, `SELECT file FROM pragma_database_list WHERE name = 'main'`).Scan(&path); err != nil {
		return nil, err
	}
	wal, err := os.ReadFile(path + "-wal")
	if os.IsNotExist(err) {
		return map[string]int{}, nil
	} else if err != nil {
		return nil, err
	}
	const walHeader, frameHeader = 32, 24 // https://www.sqlite.org/fileformat.html#the_write_ahead_log
	if len(wal) < walHeader {
		return map[string]int{}, nil
	}
	size := int(binary.BigEndian.Uint32(wal[8:12]))
	frames := map[uint32]int{}
	for off := walHeader; off+frameHeader+size <= len(wal); off += frameHeader + size {
		frames[binary.BigEndian.Uint32(wal[off:off+4])]++
	}
	rows, err := db.QueryContext(ctx, `SELECT name, pageno FROM dbstat`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	owner := map[uint32]string{}
	for rows.Next() {
		var name string
		var page uint32
		if err := rows.Scan(&name, &page); err != nil {
			return nil, err
		}
		owner[page] = name
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := map[string]int{}
	for page, c := range frames {
		name := owner[page]
		if name == "" {
			name = "other"
		}
		out[name] += c
	}
	return out, nil
}
