package api_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/memsvc/memsvc/api"
	"github.com/memsvc/memsvc/archival/memarchival"
	"github.com/memsvc/memsvc/embed"
	"github.com/memsvc/memsvc/pager"
	"github.com/memsvc/memsvc/sqlitedb"
	"github.com/memsvc/memsvc/state/sqlitestate"
)

// env is a Server on a real pager.Service over a fresh embedded store in a temp dir. The state
// store doubles as the Idempotency store, as in cmd/memsvc.
type env struct {
	t    *testing.T
	srv  *api.Server
	h    http.Handler
	db   *sql.DB
	svc  *pager.Service
	logs *syncBuffer
}

func newEnv(t *testing.T, configure ...func(*api.Config)) *env {
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
	logs := &syncBuffer{t: t}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e := &env{t: t, db: db, logs: logs}
	svc, err := pager.New(pager.Config{
		Store: st, Archival: arch, Embedder: emb, Logger: log,
		Now:     func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) },
		OnEvent: func(agentID string, ev pager.Event) { e.srv.RecordEvent(agentID, ev) },
	})
	if err != nil {
		t.Fatal(err)
	}
	cfg := api.Config{Memory: svc, Idempotency: st, Logger: log, Ready: st.Ping}
	for _, f := range configure {
		f(&cfg)
	}
	e.svc, e.srv = svc, api.New(cfg)
	e.h = e.srv.Handler()
	return e
}

// loopbackClient is the remote address of the test requests.
const loopbackClient = "127.0.0.1:40000"

// syncBuffer keeps what the server logs, for assertions, and passes it to t.Log.
type syncBuffer struct {
	t   *testing.T
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.t.Log(strings.TrimRight(string(p), "\n"))
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// do sends a request; a non-empty body goes as JSON. hdr holds header name, value pairs.
func (e *env) do(method, path, body string, hdr ...string) *httptest.ResponseRecorder {
	e.t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, path, r)
	req.RemoteAddr = loopbackClient // a server without keys serves loopback clients only
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i+1] == "" {
			req.Header.Del(hdr[i])
		} else {
			req.Header.Set(hdr[i], hdr[i+1])
		}
	}
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, req)
	return w
}

// doChunked sends a JSON body without a Content-Length, as a chunked upload does.
func (e *env) doChunked(method, path, body string) *httptest.ResponseRecorder {
	e.t.Helper()
	req := httptest.NewRequest(method, path, io.MultiReader(strings.NewReader(body)))
	req.RemoteAddr = loopbackClient
	req.ContentLength = -1
	req.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, req)
	return w
}

// call sends a request, checks its status and decodes the answer into a generic map.
func (e *env) call(method, path, body string, want int, hdr ...string) map[string]any {
	e.t.Helper()
	w := e.do(method, path, body, hdr...)
	if w.Code != want {
		e.t.Fatalf("%s %s: status %d, want %d; body %s", method, path, w.Code, want, w.Body)
	}
	if w.Body.Len() == 0 {
		return nil
	}
	var out map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil {
		e.t.Fatalf("%s %s: answer is not a JSON object: %v: %s", method, path, err, w.Body)
	}
	return out
}

// wantError checks an error answer: its status, code, and that the message contains each of parts.
func (e *env) wantError(w *httptest.ResponseRecorder, status int, code string, parts ...string) {
	e.t.Helper()
	if w.Code != status {
		e.t.Fatalf("status %d, want %d; body %s", w.Code, status, w.Body)
	}
	if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		e.t.Errorf("Content-Type %q, want application/json", ct)
	}
	var body struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	dec := json.NewDecoder(bytes.NewReader(w.Body.Bytes()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil {
		e.t.Fatalf("error body %s is not {\"error\": {\"code\", \"message\"}}: %v", w.Body, err)
	}
	if body.Error.Code != code {
		e.t.Errorf("code %q, want %q (message %q)", body.Error.Code, code, body.Error.Message)
	}
	for _, p := range parts {
		if !strings.Contains(body.Error.Message, p) {
			e.t.Errorf("message %q does not contain %q", body.Error.Message, p)
		}
	}
}

// agent creates an agent and returns its ID.
func (e *env) agent(spec string) string {
	e.t.Helper()
	if spec == "" {
		spec = `{"name": "alice", "system": "You are helpful."}`
	}
	return e.call("POST", "/v1/agents", spec, http.StatusCreated)["id"].(string)
}
