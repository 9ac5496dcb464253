package pager

import (
	"context"
	"testing"
	"time"

	"github.com/memsvc/memsvc/archival/memarchival"
	"github.com/memsvc/memsvc/embed"
	"github.com/memsvc/memsvc/sqlitedb"
	"github.com/memsvc/memsvc/state"
	"github.com/memsvc/memsvc/state/sqlitestate"
)

// newTestService returns a Service on a fresh embedded store in a temp dir, with the built-in
// embedder, the extractive summarizer and a clock the test can move.
func newTestService(t *testing.T) (*Service, *sqlitestate.Store, *time.Time) {
	t.Helper()
	ctx := context.Background()
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
	return svc, st, &now
}

func intp(i int) *int { return &i }

// createAgent makes an agent whose model is not handed the memory tools, so a small window is
// all messages.
func createAgent(t *testing.T, svc *Service, window int, blocks ...state.Block) AgentView {
	t.Helper()
	no := false
	a, err := svc.CreateAgent(context.Background(), AgentSpec{Name: "t", System: "You are a helpful assistant.",
		ContextWindow: window, Blocks: blocks, ToolsInContext: &no})
	if err != nil {
		t.Fatal(err)
	}
	return a
}
