package pager

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/memsvc/memsvc/archival/memarchival"
	"github.com/memsvc/memsvc/archival/pgarchival"
	"github.com/memsvc/memsvc/embed"
	"github.com/memsvc/memsvc/pgdb/pgdbtest"
	"github.com/memsvc/memsvc/sqlitedb"
	"github.com/memsvc/memsvc/state"
	"github.com/memsvc/memsvc/state/pgstate"
	"github.com/memsvc/memsvc/state/sqlitestate"
)

// newTestService returns a Service on a fresh embedded store in a temp dir, with the built-in
// embedder, the extractive summarizer and a clock the test can move.
func newTestService(t testing.TB) (*Service, *sqlitestate.Store, *time.Time) {
	svc, st, now, _ := newTestServiceDB(t)
	return svc, st, now
}

// newBenchService is newTestService with the write-ahead log checkpointed in the background, as
// `memsvc serve` does (stores.Open): without it the log of a long benchmark only grows, and every
// page read searches it (sqlite's walFindFrame was a fifth of BenchmarkAppend's CPU).
func newBenchService(b *testing.B) *Service {
	svc, _, _, db := newTestServiceDB(b)
	c := &sqlitedb.Checkpointer{DB: db}
	if err := c.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Stop() })
	return svc
}

func newTestServiceDB(t testing.TB) (*Service, *sqlitestate.Store, *time.Time, *sql.DB) {
	t.Helper()
	ctx := state.WithTenant(context.Background(), state.DefaultTenant)
	db, err := sqlitedb.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	st := sqlitestate.New(db)
	t.Cleanup(func() { st.Close() })
	emb := embed.NewBuiltin()
	arch, err := memarchival.New(ctx, db, emb.Dim())
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	svc, err := New(Config{Store: st, Archival: arch, Embedder: emb, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	return svc, st, &now, db
}

func intp(i int) *int { return &i }

// createAgent makes an agent whose model is not handed the memory tools, so a small window is
// all messages.
func createAgent(t *testing.T, svc *Service, window int, blocks ...state.Block) AgentView {
	t.Helper()
	no := false
	a, err := svc.CreateAgent(state.WithTenant(context.Background(), state.DefaultTenant), AgentSpec{Name: "t", System: "You are a helpful assistant.",
		ContextWindow: window, Blocks: blocks, ToolsInContext: &no})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// newPostgresService returns a Service on PostgreSQL (a schema of its own; skipped without
// TEST_DATABASE_URL unless MEMSVC_REQUIRE_BACKENDS=1), with the built-in embedder.
func newPostgresService(t *testing.T) *Service {
	t.Helper()
	emb := embed.NewBuiltin()
	pool := pgdbtest.Pool(t, emb.Dim())
	svc, err := New(Config{Store: pgstate.New(pool), Archival: pgarchival.New(pool, emb.Dim()), Embedder: emb})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

// bothStores runs fn on the embedded store and on PostgreSQL.
func bothStores(t *testing.T, fn func(t *testing.T, svc *Service)) {
	t.Run("embedded", func(t *testing.T) {
		svc, _, _ := newTestService(t)
		fn(t, svc)
	})
	t.Run("postgres", func(t *testing.T) { fn(t, newPostgresService(t)) })
}
