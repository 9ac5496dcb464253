package client_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/memsvc/memsvc/api"
	"github.com/memsvc/memsvc/archival"
	"github.com/memsvc/memsvc/archival/memarchival"
	"github.com/memsvc/memsvc/archival/pgarchival"
	"github.com/memsvc/memsvc/auth"
	"github.com/memsvc/memsvc/client"
	"github.com/memsvc/memsvc/embed"
	"github.com/memsvc/memsvc/pager"
	"github.com/memsvc/memsvc/pgdb/pgdbtest"
	"github.com/memsvc/memsvc/sqlitedb"
	"github.com/memsvc/memsvc/state"
	"github.com/memsvc/memsvc/state/pgstate"
	"github.com/memsvc/memsvc/state/sqlitestate"
)

type stateStore interface {
	state.Store
	state.KeyStore
	api.Idempotency
}

// server is a real memsvc API (the pager on a real store, with API keys) on a real listener,
// which records every route it serves.
type server struct {
	url    string
	routes []api.Route
	mu     sync.Mutex
	hit    map[string]bool // "METHOD /path/{param}" served
	keys   *auth.Service
	svc    *pager.Service
	// fail, when set, answers 503 to the next n requests after the server has handled them.
	failAfter atomic.Int32
}

func newServer(t *testing.T, backend string) *server {
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
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	var srv *api.Server
	svc, err := pager.New(pager.Config{Store: st, Archival: arch, Embedder: emb, Logger: log,
		OnEvent: func(agentID string, ev pager.Event) { srv.RecordEvent(agentID, ev) }})
	if err != nil {
		t.Fatal(err)
	}
	s := &server{hit: map[string]bool{}, keys: auth.New(st, nil), svc: svc}
	srv = api.New(api.Config{Memory: svc, Idempotency: st, Logger: log, Keys: s.keys, RateLimit: -1})
	s.routes = srv.Routes()
	patterns := make([]*regexp.Regexp, len(s.routes))
	for i, r := range s.routes {
		patterns[i] = regexp.MustCompile("^" + regexp.MustCompile(`\{[a-z_]+\}`).ReplaceAllString(r.Path, "[^/]+") + "$")
	}
	h := srv.Handler()
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		for i, rt := range s.routes {
			if rt.Method == r.Method && patterns[i].MatchString(r.URL.Path) && !(strings.HasSuffix(rt.Path, "}") && s.static(r)) {
				s.hit[rt.Method+" "+rt.Path] = true
			}
		}
		s.mu.Unlock()
		if s.failAfter.Load() > 0 {
			s.failAfter.Add(-1)
			h.ServeHTTP(httptest.NewRecorder(), r) // applied, but the answer is lost
			http.Error(w, "bad gateway", http.StatusBadGateway)
			return
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(hs.Close)
	s.url = hs.URL
	return s
}

// static reports whether r's path is one of the routes with a fixed last segment (so that
// …/archival/search does not count as …/archival/{passage_id}).
func (s *server) static(r *http.Request) bool {
	for _, rt := range s.routes {
		if rt.Method == r.Method && rt.Path == r.URL.Path {
			return true
		}
		if rt.Method == r.Method && !strings.HasSuffix(rt.Path, "}") {
			last := rt.Path[strings.LastIndex(rt.Path, "/"):]
			if strings.HasSuffix(r.URL.Path, last) && strings.Count(rt.Path, "/") == strings.Count(r.URL.Path, "/") {
				return true
			}
		}
	}
	return false
}

func (s *server) key(t *testing.T, tenant string, admin bool) string {
	t.Helper()
	_, token, err := s.keys.Create(context.Background(), tenant, admin, "test")
	if err != nil {
		t.Fatal(err)
	}
	return token
}

func forEachStore(t *testing.T, f func(t *testing.T, s *server)) {
	for _, backend := range []string{"embedded", "postgres"} {
		t.Run(backend, func(t *testing.T) { f(t, newServer(t, backend)) })
	}
}

func must[T any](t *testing.T, what string) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return v
	}
}

func ptr[T any](v T) *T { return &v }

// TestEveryEndpoint calls every method of the client against a real server on both stores, and
// checks that together they reach every /v1 route the server has, and answer its types.
func TestEveryEndpoint(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *server) {
		ctx := context.Background()
		admin := client.New(s.url, client.WithAPIKey(s.key(t, "acme", true)), client.WithRetries(2, time.Millisecond))
		c := client.New(s.url, client.WithAPIKey(s.key(t, "acme", false)), client.WithRetries(2, time.Millisecond))

		if err := c.Health(ctx); err != nil {
			t.Fatal(err)
		}
		if err := c.Ready(ctx); err != nil {
			t.Fatal(err)
		}
		a := must[pager.AgentView](t, "create")(c.CreateAgent(ctx, pager.AgentSpec{Name: "ada", System: "You help.",
			Blocks: []state.Block{{Label: "human", Value: "Name: Ada.", Limit: 1000}}}))
		id := a.ID
		if len(a.Blocks) != 1 || a.Context.Window == 0 {
			t.Errorf("agent %+v", a)
		}
		page := must[api.List[state.Agent]](t, "list agents")(c.ListAgents(ctx, client.Page{Limit: 10}))
		if len(page.Items) != 1 || page.Items[0].ID != id {
			t.Errorf("agents %+v", page)
		}
		must[pager.AgentView](t, "get")(c.GetAgent(ctx, id))
		if a := must[pager.AgentView](t, "update")(c.UpdateAgent(ctx, id, pager.AgentPatch{Name: ptr("ada2")})); a.Name != "ada2" {
			t.Errorf("updated name %q", a.Name)
		}

		res := must[pager.AppendResult](t, "append")(c.Append(ctx, id, pager.MessageInput{Role: "user", Content: "I keep bees in Lyon."},
			pager.MessageInput{Role: "assistant", Content: "Noted."}))
		if len(res.Messages) != 2 || res.Messages[1].Seq <= res.Messages[0].Seq {
			t.Errorf("append %+v", res)
		}
		msgs := must[api.List[state.Message]](t, "messages")(c.Messages(ctx, id, client.Page{Limit: 1}))
		if len(msgs.Items) != 1 || msgs.NextCursor == "" {
			t.Errorf("first page %+v", msgs)
		}
		msgs = must[api.List[state.Message]](t, "messages")(c.Messages(ctx, id, client.Page{Limit: 1, Cursor: msgs.NextCursor}))
		if len(msgs.Items) != 1 || msgs.Items[0].Content != "Noted." {
			t.Errorf("second page %+v", msgs)
		}
		if v := must[pager.ContextView](t, "context")(c.Context(ctx, id, "anthropic")); len(v.Messages) != 2 {
			t.Errorf("context %+v", v)
		}
		must[api.List[state.Summary]](t, "summaries")(c.Summaries(ctx, id, client.Page{}))
		// This server has no compaction service: a typed error, after the retries.
		if _, err := c.RequestCompaction(ctx, id); !errors.Is(err, client.ErrUnavailable) {
			t.Errorf("compaction without a service: %v", err)
		}
		if _, err := c.Compaction(ctx, "job_x"); !errors.Is(err, client.ErrUnavailable) {
			t.Errorf("compaction job without a service: %v", err)
		}
		if _, err := c.Compactions(ctx, id, 5); !errors.Is(err, client.ErrUnavailable) {
			t.Errorf("compaction jobs without a service: %v", err)
		}
		if _, err := c.CompactionBudget(ctx, id); !errors.Is(err, client.ErrUnavailable) {
			t.Errorf("compaction budget without a service: %v", err)
		}
		if st := must[pager.AgentStats](t, "stats")(c.Stats(ctx, id)); st.Messages == 0 {
			t.Errorf("stats %+v", st)
		}

		must[[]state.Block](t, "blocks")(c.Blocks(ctx, id))
		must[state.Block](t, "put block")(c.PutBlock(ctx, id, "human", pager.BlockInput{Value: ptr("Name: Ada. Bees.")}))
		if b := must[state.Block](t, "block")(c.Block(ctx, id, "human")); b.Value != "Name: Ada. Bees." {
			t.Errorf("block %+v", b)
		}
		if h := must[[]state.BlockEvent](t, "block history")(c.BlockHistory(ctx, id, "human")); len(h) == 0 {
			t.Error("no block history")
		}
		if b := must[state.Block](t, "undo")(c.UndoBlock(ctx, id, "human")); b.Value != "Name: Ada." {
			t.Errorf("undone block %+v", b)
		}
		_, err := c.PutBlock(ctx, id, "human", pager.BlockInput{Value: ptr(strings.Repeat("x", 2000))})
		var ae *client.Error
		if !errors.As(err, &ae) || ae.Status != http.StatusUnprocessableEntity || !errors.Is(err, client.ErrUnprocessable) || ae.Message == "" {
			t.Errorf("over-limit block: %v", err)
		}

		p := must[archival.Passage](t, "insert")(c.InsertPassage(ctx, id, pager.PassageInput{Text: "Ada lives in Lyon.", Key: "ada/city"}))
		ps := must[[]archival.Passage](t, "batch")(c.InsertPassages(ctx, id, []pager.PassageInput{{Text: "Ada keeps bees."}, {Text: "Ada reads Proust."}}))
		if len(ps) != 2 {
			t.Errorf("batch %+v", ps)
		}
		hits := must[[]pager.ArchivalHit](t, "search")(c.SearchArchival(ctx, id, pager.ArchivalQuery{Query: "Where does Ada live?", K: 3}))
		if len(hits) == 0 || hits[0].Passage.ID != p.ID {
			t.Errorf("search %+v", hits)
		}
		must[archival.Passage](t, "passage")(c.Passage(ctx, id, p.ID))
		if q := must[archival.Passage](t, "invalidate")(c.Invalidate(ctx, id, p.ID, "moved", "")); q.Status != archival.StatusInvalidated {
			t.Errorf("invalidated %+v", q)
		}
		must[archival.Passage](t, "restore")(c.Restore(ctx, id, p.ID))
		// Paged while writes go on: a cursor stays valid as new events join the end.
		h1 := must[api.List[archival.Event]](t, "history")(c.PassageHistory(ctx, id, p.ID, client.Page{Limit: 2}))
		must[archival.Passage](t, "invalidate")(c.Invalidate(ctx, id, p.ID, "moved again", ""))
		h2 := must[api.List[archival.Event]](t, "history")(c.PassageHistory(ctx, id, p.ID, client.Page{Limit: 2, Cursor: h1.NextCursor}))
		if len(h1.Items) != 2 || h1.NextCursor == "" || len(h2.Items) != 2 || h2.NextCursor != "" ||
			h2.Items[0].Seq <= h1.Items[1].Seq || h2.Items[1].Action != archival.ActionInvalidated {
			t.Errorf("history pages %+v then %+v", h1, h2)
		}
		must[archival.Passage](t, "restore")(c.Restore(ctx, id, p.ID))
		if _, err := c.PassageHistory(ctx, id, p.ID, client.Page{Cursor: "999999999"}); !errors.Is(err, client.ErrInvalidArgument) {
			t.Errorf("unknown cursor: %v", err)
		}
		if err := c.DeletePassage(ctx, id, ps[1].ID); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Passage(ctx, id, ps[1].ID); !errors.Is(err, client.ErrNotFound) {
			t.Errorf("deleted passage: %v", err)
		}
		if hits := must[[]pager.RecallHit](t, "recall")(c.SearchRecall(ctx, id, pager.RecallQuery{Query: "bees"})); len(hits) == 0 {
			t.Error("recall found nothing")
		}

		if tools := must[[]any](t, "tools")(c.Tools(ctx, id, "openai")); len(tools) != len(pager.ToolDefs) {
			t.Errorf("tools %v", tools)
		}
		tr := must[pager.ToolResult](t, "tool call")(c.CallTool(ctx, id, pager.ToolCall{Name: "archival_memory_search", Arguments: []byte(`{"query": "bees"}`)}))
		if tr.IsError || !strings.Contains(tr.Content, "bees") {
			t.Errorf("tool result %+v", tr)
		}
		must[pager.PermissionsView](t, "permissions")(c.AgentPermissions(ctx, id))

		sb := must[state.SharedBlock](t, "shared block")(c.CreateSharedBlock(ctx, pager.SharedBlockInput{Label: "org", Value: "Acme.", Limit: 100}))
		must[state.SharedBlock](t, "get shared block")(c.SharedBlock(ctx, sb.ID))
		must[state.Block](t, "attach")(c.AttachBlock(ctx, id, pager.AttachInput{BlockID: sb.ID, ReadOnly: true}))
		if err := c.DetachBlock(ctx, id, sb.ID); err != nil {
			t.Fatal(err)
		}

		ck := must[api.CreatedKey](t, "create key")(admin.CreateKey(ctx, api.KeyRequest{Tenant: "beta"}))
		if keys := must[api.List[state.APIKey]](t, "list keys")(admin.ListKeys(ctx, "beta", client.Page{})); len(keys.Items) != 1 {
			t.Errorf("keys %+v", keys)
		}
		must[state.Permissions](t, "set tenant permissions")(admin.SetTenantPermissions(ctx, "beta", state.Permissions{Deny: []string{"archival_delete"}}))
		if pm := must[state.Permissions](t, "tenant permissions")(admin.TenantPermissions(ctx, "beta")); len(pm.Deny) != 1 {
			t.Errorf("permissions %+v", pm)
		}
		// Another tenant's key sees none of acme's agent.
		beta := client.New(s.url, client.WithAPIKey(ck.Token))
		if _, err := beta.GetAgent(ctx, id); !errors.Is(err, client.ErrNotFound) {
			t.Errorf("another tenant's agent: %v", err)
		}
		if _, err := c.CreateKey(ctx, api.KeyRequest{Tenant: "x"}); !errors.Is(err, client.ErrPermissionDenied) {
			t.Errorf("create key without admin: %v", err)
		}
		if err := admin.RevokeKey(ctx, ck.Key.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := beta.ListAgents(ctx, client.Page{}); !errors.Is(err, client.ErrUnauthenticated) {
			t.Errorf("revoked key: %v", err)
		}
		doc := must[pager.Export](t, "export")(c.ExportAgent(ctx, id))
		if err := c.DeleteAgent(ctx, id); err != nil {
			t.Fatal(err)
		}
		if v := must[pager.AgentView](t, "import")(c.ImportAgent(ctx, doc)); v.ID != id {
			t.Errorf("imported %s, want %s", v.ID, id)
		}
		if _, err := c.ImportLetta(ctx, []byte(`{"name": "from letta", "core_memory": [], "messages": []}`)); err != nil {
			t.Errorf("import letta: %v", err)
		}

		s.mu.Lock()
		defer s.mu.Unlock()
		for _, r := range s.routes {
			if (strings.HasPrefix(r.Path, "/v1/") || r.Path == "/healthz" || r.Path == "/readyz") && !s.hit[r.Method+" "+r.Path] {
				t.Errorf("no client method reached %s %s", r.Method, r.Path)
			}
		}
	})
}

// TestRetriedWriteAppliesOnce loses the answers of writes the server applied: the client retries
// with the same Idempotency-Key, and the server replays its first answer instead of applying the
// write again.
func TestRetriedWriteAppliesOnce(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *server) {
		ctx := context.Background()
		c := client.New(s.url, client.WithAPIKey(s.key(t, "acme", false)), client.WithRetries(3, time.Millisecond))
		a := must[pager.AgentView](t, "create")(c.CreateAgent(ctx, pager.AgentSpec{Name: "ada"}))
		s.failAfter.Store(2)
		if _, err := c.Append(ctx, a.ID, pager.MessageInput{Role: "user", Content: "once"}); err != nil {
			t.Fatal(err)
		}
		msgs := must[api.List[state.Message]](t, "messages")(c.Messages(ctx, a.ID, client.Page{}))
		if len(msgs.Items) != 1 {
			t.Errorf("%d messages after a retried append, want 1", len(msgs.Items))
		}
		// Without retries the lost answer is an error of its own.
		s.failAfter.Store(1)
		noRetry := client.New(s.url, client.WithAPIKey(s.key(t, "acme", false)), client.WithRetries(-1, 0))
		if _, err := noRetry.GetAgent(ctx, a.ID); !errors.Is(err, client.ErrUnavailable) {
			t.Errorf("lost answer without retries: %v", err)
		}
		// A caller's own key repeats a write across clients.
		kctx := client.WithIdempotencyKey(ctx, "my-key-1")
		p1 := must[archival.Passage](t, "insert")(c.InsertPassage(kctx, a.ID, pager.PassageInput{Text: "Ada keeps bees."}))
		p2 := must[archival.Passage](t, "insert again")(noRetry.InsertPassage(kctx, a.ID, pager.PassageInput{Text: "Ada keeps bees."}))
		if p1.ID != p2.ID {
			t.Errorf("the same Idempotency-Key stored two passages: %s, %s", p1.ID, p2.ID)
		}
		// Without automatic keys, a retried write whose answer was lost applies twice: the reason
		// they are on by default (bench load turns them off, and retries with them).
		bare := client.New(s.url, client.WithAPIKey(s.key(t, "acme", false)), client.WithRetries(3, time.Millisecond), client.WithAutoIdempotency(false))
		s.failAfter.Store(1)
		if err := bare.Do(ctx, http.MethodPost, "/v1/agents/"+a.ID+"/messages", nil, map[string]any{"messages": []map[string]string{{"role": "user", "content": "twice"}}}, nil); err != nil {
			t.Fatal(err)
		}
		if msgs := must[api.List[state.Message]](t, "messages")(c.Messages(ctx, a.ID, client.Page{})); len(msgs.Items) != 3 {
			t.Errorf("%d messages after a retried append without a key, want 3 (applied twice)", len(msgs.Items))
		}
		// A cancelled context stops at once.
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := c.GetAgent(cctx, a.ID); !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled: %v", err)
		}
	})
}
