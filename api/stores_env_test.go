package api_test

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/memsvc/memsvc/api"
	"github.com/memsvc/memsvc/archival"
	"github.com/memsvc/memsvc/archival/memarchival"
	"github.com/memsvc/memsvc/archival/pgarchival"
	"github.com/memsvc/memsvc/auth"
	"github.com/memsvc/memsvc/embed"
	"github.com/memsvc/memsvc/pager"
	"github.com/memsvc/memsvc/pgdb/pgdbtest"
	"github.com/memsvc/memsvc/sqlitedb"
	"github.com/memsvc/memsvc/state"
	"github.com/memsvc/memsvc/state/pgstate"
	"github.com/memsvc/memsvc/state/sqlitestate"
)

// stateStore is what the security tests need of a state store: agents, keys, policies and the
// idempotency records.
type stateStore interface {
	state.Store
	state.KeyStore
	state.PolicyStore
	api.Idempotency
}

// keyEnv is an env whose server verifies API keys of its store.
type keyEnv struct {
	*env
	st   stateStore
	keys *auth.Service
}

// forEachStore runs f on a fresh server over the embedded store and over PostgreSQL (which
// skips without TEST_DATABASE_URL, and fails in CI, where MEMSVC_REQUIRE_BACKENDS=1).
func forEachStore(t *testing.T, f func(t *testing.T, e *keyEnv), configure ...func(*api.Config)) {
	for _, backend := range []string{"embedded", "postgres"} {
		t.Run(backend, func(t *testing.T) { f(t, newKeyEnv(t, backend, configure...)) })
	}
}

func newKeyEnv(t *testing.T, backend string, configure ...func(*api.Config)) *keyEnv {
	t.Helper()
	ctx := context.Background()
	emb := embed.NewBuiltin()
	var st stateStore
	var arch archival.Store
	switch backend {
	case "embedded":
		db, err := sqlitedb.Open(ctx, t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		s := sqlitestate.New(db)
		t.Cleanup(func() { s.Close() })
		if arch, err = memarchival.New(ctx, db, emb.Dim()); err != nil {
			t.Fatal(err)
		}
		st = s
	case "postgres":
		pool := pgdbtest.Pool(t, emb.Dim())
		st, arch = pgstate.New(pool), pgarchival.New(pool, emb.Dim())
	default:
		t.Fatalf("unknown backend %q", backend)
	}
	logs := &syncBuffer{t: t}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e := &env{t: t, logs: logs}
	svc, err := pager.New(pager.Config{
		Store: st, Archival: arch, Embedder: emb, Logger: log,
		Now:     func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) },
		OnEvent: func(agentID string, ev pager.Event) { e.srv.RecordEvent(agentID, ev) },
	})
	if err != nil {
		t.Fatal(err)
	}
	keys := auth.New(st, nil)
	cfg := api.Config{Memory: svc, Idempotency: st, Logger: log, Ready: st.Ping, Keys: keys}
	for _, f := range configure {
		f(&cfg)
	}
	e.svc, e.srv = svc, api.New(cfg)
	e.h = e.srv.Handler()
	return &keyEnv{env: e, st: st, keys: keys}
}

// key creates an API key and returns its token.
func (e *keyEnv) key(tenant string, admin bool) string {
	e.t.Helper()
	_, token, err := e.keys.Create(context.Background(), tenant, admin, "test")
	if err != nil {
		e.t.Fatal(err)
	}
	return token
}

// as sends a request with a bearer token ("" for none).
func (e *keyEnv) as(token, method, path, body string, hdr ...string) *httptest.ResponseRecorder {
	e.t.Helper()
	if token != "" {
		hdr = append(hdr, "Authorization", "Bearer "+token)
	}
	return e.do(method, path, body, hdr...)
}

// callAs is env.call with a bearer token.
func (e *keyEnv) callAs(token, method, path, body string, want int) map[string]any {
	e.t.Helper()
	return e.call(method, path, body, want, "Authorization", "Bearer "+token)
}

// from sends a bodiless request from remoteAddr with a bearer token ("" for none).
func (e *keyEnv) from(remoteAddr, token, method, path string) *httptest.ResponseRecorder {
	e.t.Helper()
	req := httptest.NewRequest(method, path, nil)
	req.RemoteAddr = remoteAddr
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, req)
	return w
}
