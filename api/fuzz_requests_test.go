package api_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/memsvc/memsvc/api"
	"github.com/memsvc/memsvc/archival/memarchival"
	"github.com/memsvc/memsvc/embed"
	"github.com/memsvc/memsvc/pager"
	"github.com/memsvc/memsvc/sqlitedb"
	"github.com/memsvc/memsvc/state"
	"github.com/memsvc/memsvc/state/sqlitestate"
)

// fuzzRoutes are the write and search routes FuzzRequests sends its bodies to; AGENT, PASSAGE and
// BLOCK stand for resources that exist.
var fuzzRoutes = []struct{ method, path string }{
	{"POST", "/v1/agents"}, {"PATCH", "/v1/agents/AGENT"}, {"POST", "/v1/agents/AGENT/messages"},
	{"PUT", "/v1/agents/AGENT/blocks/human"}, {"POST", "/v1/agents/AGENT/archival"},
	{"POST", "/v1/agents/AGENT/archival/search"}, {"POST", "/v1/agents/AGENT/recall/search"},
	{"POST", "/v1/agents/AGENT/tool-calls"}, {"POST", "/v1/agents/AGENT/archival/PASSAGE/invalidate"},
	{"POST", "/v1/agents/AGENT/attachments"}, {"POST", "/v1/blocks"}, {"GET", "/v1/agents/AGENT/context?format=anthropic"},
	{"POST", "/v1/agents/AGENT/blocks/human/undo"}, {"GET", "/v1/agents?limit=2&cursor="},
}

// FuzzRequests sends arbitrary bodies, and arbitrary path suffixes, to the API's routes over a
// real embedded store: no request panics or answers 5xx.
func FuzzRequests(f *testing.F) {
	ctx := state.WithTenant(context.Background(), state.DefaultTenant)
	db, err := sqlitedb.Open(ctx, f.TempDir())
	if err != nil {
		f.Fatal(err)
	}
	st := sqlitestate.New(db)
	f.Cleanup(func() { st.Close() })
	emb := embed.NewBuiltin()
	arch, err := memarchival.New(ctx, db, emb.Dim())
	if err != nil {
		f.Fatal(err)
	}
	svc, err := pager.New(pager.Config{Store: st, Archival: arch, Embedder: emb,
		Now: func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }})
	if err != nil {
		f.Fatal(err)
	}
	h := api.New(api.Config{Memory: svc, Idempotency: st, BodyLimit: 1 << 16}).Handler()
	send := func(method, path, body string) *httptest.ResponseRecorder {
		req, err := http.NewRequest(method, path, strings.NewReader(body))
		if err != nil {
			return nil // no client can send it: net/http refuses the URL before any server sees it
		}
		req.RemoteAddr = loopbackClient
		req.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		return w
	}
	a, err := svc.CreateAgent(ctx, pager.AgentSpec{Name: "fuzz", ContextWindow: 4096,
		Blocks: []state.Block{{Label: "human", Value: "Alice."}}})
	if err != nil {
		f.Fatal(err)
	}
	p, err := svc.InsertPassage(ctx, a.ID, pager.PassageInput{Text: "Alice lives in Paris.", Key: "alice/city"})
	if err != nil {
		f.Fatal(err)
	}
	sb, err := svc.CreateSharedBlock(ctx, pager.SharedBlockInput{Label: "org", Value: "v"})
	if err != nil {
		f.Fatal(err)
	}
	ids := strings.NewReplacer("AGENT", a.ID, "PASSAGE", p.ID, "BLOCK", sb.ID)
	for i, seed := range []string{
		`{"name": "a"}`, `{"permissions": {"deny": ["core_memory_*"]}}`, `{"messages": [{"role": "tool", "content": "x", "tool_call_id": "c"}]}`,
		`{"value": "v", "limit": 10}`, `{"text": "t", "key": "alice/city", "source": "tool", "supersedes": "PASSAGE"}`,
		`{"query": "Alice", "k": 100, "mode": "dense"}`, `{"query": "x", "roles": ["user"], "from": "2025-01-01T00:00:00Z"}`,
		`{"name": "memory_invalidate", "arguments": {"passage_id": "PASSAGE", "reason": "r"}, "record": true}`,
		`{"reason": "r", "superseded_by": "PASSAGE"}`, `{"block_id": "BLOCK", "copy_on_write": true}`,
		`{"label": "x", "value": "` + strings.Repeat("é", 100) + `"}`, ``, ``, ``,
	} {
		f.Add(uint8(i), "", []byte(ids.Replace(seed)))
	}
	f.Add(uint8(7), "", []byte(`{"name": "core_memory_append", "arguments": "{\"label\": \"human\", \"content\": \"`+strings.Repeat("\\u00e9", 3000)+`\"}", "record": true}`))
	f.Add(uint8(1), "/../../x", []byte(`{}`))
	f.Fuzz(func(t *testing.T, which uint8, suffix string, body []byte) {
		r := fuzzRoutes[int(which)%len(fuzzRoutes)]
		path := ids.Replace(r.path)
		if suffix != "" && !strings.ContainsAny(suffix, " \t\r\n#?%") {
			path += suffix
		}
		if !strings.HasPrefix(path, "/") {
			return
		}
		w := send(r.method, path, string(bytes.ReplaceAll(body, []byte("PASSAGE"), []byte(p.ID))))
		if w != nil && w.Code >= 500 {
			t.Fatalf("%s %s %q: %d %s", r.method, path, body, w.Code, w.Body)
		}
	})
}
