// Package pagertest starts a pager.Service for tests of the packages built on it (the MCP server,
// the clients, the examples): on a fresh embedded store in the test's temp directory, with the
// built-in embedder, closed when the test ends. It is test support, like statetest.
package pagertest

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/memsvc/memsvc/archival/memarchival"
	"github.com/memsvc/memsvc/embed"
	"github.com/memsvc/memsvc/pager"
	"github.com/memsvc/memsvc/sqlitedb"
	"github.com/memsvc/memsvc/state"
	"github.com/memsvc/memsvc/state/sqlitestate"
)

// Embedded returns a Service on a fresh embedded store and that store (which also keeps
// idempotency keys, for an API server over it). Logs are discarded; configure may change the
// Config before the Service is made.
func Embedded(t testing.TB, configure ...func(*pager.Config)) (*pager.Service, *sqlitestate.Store) {
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
	cfg := pager.Config{Store: st, Archival: arch, Embedder: emb, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	for _, f := range configure {
		f(&cfg)
	}
	svc, err := pager.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return svc, st
}
