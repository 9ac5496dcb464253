package api_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

func TestAgents(t *testing.T) {
	e := newEnv(t)
	w := e.do("POST", "/v1/agents", `{"name": "alice", "system": "You are helpful.", "context_window": 4096,
		"blocks": [{"label": "human", "value": "Alice lives in Paris."}], "pager": {"keep_last": 2}}`)
	if w.Code != http.StatusCreated {
		t.Fatalf("create: %d %s", w.Code, w.Body)
	}
	a := e.call("GET", "/v1/agents/"+idOf(t, w.Body.String()), "", http.StatusOK)
	id := a["id"].(string)
	if got := w.Header().Get("Location"); got != "/v1/agents/"+id {
		t.Errorf("Location %q", got)
	}
	if a["name"] != "alice" || a["context_window"] != 4096.0 {
		t.Errorf("agent %v", a)
	}
	if p := a["pager"].(map[string]any); p["keep_last"] != 2.0 || p["warn_ratio"] != 0.7 {
		t.Errorf("pager %v: keep_last not applied or defaults missing", p)
	}
	if bs := a["blocks"].([]any); len(bs) != 1 || bs[0].(map[string]any)["limit"] != 2000.0 {
		t.Errorf("blocks %v", bs)
	}
	if c := a["context"].(map[string]any); c["window"] != 4096.0 || c["pressure"] != "ok" {
		t.Errorf("context %v", c)
	}

	a = e.call("PATCH", "/v1/agents/"+id, `{"name": "alice2", "system": null}`, http.StatusOK)
	if a["name"] != "alice2" || a["system"] != "You are helpful." {
		t.Errorf("patched agent %v", a)
	}

	e.call("DELETE", "/v1/agents/"+id, "", http.StatusNoContent)
	e.wantError(e.do("GET", "/v1/agents/"+id, ""), http.StatusNotFound, "not_found", id)
	e.wantError(e.do("DELETE", "/v1/agents/"+id, ""), http.StatusNotFound, "not_found", id)
}

func idOf(t *testing.T, body string) string {
	t.Helper()
	i := strings.Index(body, `"id":"`)
	if i < 0 {
		t.Fatalf("no id in %s", body)
	}
	rest := body[i+6:]
	return rest[:strings.IndexByte(rest, '"')]
}

func TestListAgentsPaginates(t *testing.T) {
	e := newEnv(t)
	ids := map[string]bool{}
	for range 3 {
		ids[e.agent("")] = true
	}
	seen := map[string]bool{}
	cursor, pages := "", 0
	for {
		path := "/v1/agents?limit=2"
		if cursor != "" {
			path += "&cursor=" + cursor
		}
		out := e.call("GET", path, "", http.StatusOK)
		for _, it := range out["items"].([]any) {
			seen[it.(map[string]any)["id"].(string)] = true
		}
		pages++
		if cursor = out["next_cursor"].(string); cursor == "" {
			break
		}
		if pages > 3 {
			t.Fatal("next_cursor never ends")
		}
	}
	if len(seen) != 3 || pages != 2 {
		t.Errorf("saw %d agents in %d pages, want 3 in 2", len(seen), pages)
	}
	e.wantError(e.do("GET", "/v1/agents?cursor=garbage!", ""), http.StatusBadRequest, "invalid_argument", "cursor")
}

func TestEmptyListsAreArrays(t *testing.T) {
	e := newEnv(t)
	w := e.do("GET", "/v1/agents", "")
	if got := strings.TrimSpace(w.Body.String()); got != `{"items":[],"next_cursor":""}` {
		t.Errorf("empty list = %s", got)
	}
}

func TestMessagesHistoryAndContext(t *testing.T) {
	e := newEnv(t)
	id := e.agent("")
	res := e.call("POST", "/v1/agents/"+id+"/messages", `{"messages": [
		{"role": "user", "content": "Hi, I am Alice."},
		{"role": "assistant", "content": "Hello Alice!"},
		{"role": "user", "content": "I live in Paris.", "pinned": true}]}`, http.StatusOK)
	msgs := res["messages"].([]any)
	if len(msgs) != 3 || msgs[2].(map[string]any)["seq"] != 3.0 || msgs[2].(map[string]any)["pinned"] != true {
		t.Fatalf("append answered %v", res)
	}
	if _, ok := res["events"].([]any); !ok {
		t.Errorf("events = %v, want an array", res["events"])
	}
	if c := res["context"].(map[string]any); c["in_context"] != 3.0 {
		t.Errorf("context %v", c)
	}

	var all []any
	cursor := ""
	for range 5 {
		out := e.call("GET", "/v1/agents/"+id+"/messages?limit=2&cursor="+cursor, "", http.StatusOK)
		all = append(all, out["items"].([]any)...)
		if cursor = out["next_cursor"].(string); cursor == "" {
			break
		}
		if cursor != "2" {
			t.Errorf("next_cursor %q, want the seq 2", cursor)
		}
	}
	if len(all) != 3 || all[0].(map[string]any)["content"] != "Hi, I am Alice." {
		t.Errorf("history %v", all)
	}

	for _, format := range []string{"", "openai", "anthropic"} {
		ctx := e.call("GET", "/v1/agents/"+id+"/context?format="+format, "", http.StatusOK)
		msgs := ctx["messages"].([]any)
		first := msgs[0].(map[string]any)
		if format == "anthropic" {
			if len(msgs) != 3 || first["role"] != "user" || ctx["system"] == "" {
				t.Errorf("anthropic context %v", ctx)
			}
		} else if len(msgs) != 4 || first["role"] != "system" {
			t.Errorf("openai context %v", ctx)
		}
		tok := ctx["tokens"].(map[string]any)
		if tok["window"] != 8192.0 || tok["total"].(float64) <= 0 {
			t.Errorf("tokens %v", tok)
		}
		if _, ok := ctx["summary"]; !ok {
			t.Errorf("context has no summary field: %v", ctx)
		}
	}
	e.wantError(e.do("GET", "/v1/agents/"+id+"/context?format=gemini", ""), http.StatusBadRequest, "invalid_argument", "format")
}

func TestBlocks(t *testing.T) {
	e := newEnv(t)
	id := e.agent(`{"name": "a", "blocks": [
		{"label": "persona", "value": "I am a bot.", "read_only": true},
		{"label": "human", "value": "Alice.", "limit": 20}]}`)
	out := e.call("GET", "/v1/agents/"+id+"/blocks", "", http.StatusOK)
	items := out["items"].([]any)
	if len(items) != 2 || items[0].(map[string]any)["label"] != "human" {
		t.Fatalf("blocks %v", out)
	}
	b := e.call("PUT", "/v1/agents/"+id+"/blocks/human", `{"value": "Alice, Paris."}`, http.StatusOK)
	if b["value"] != "Alice, Paris." || b["limit"] != 20.0 {
		t.Errorf("put answered %v", b)
	}
	b = e.call("GET", "/v1/agents/"+id+"/blocks/human", "", http.StatusOK)
	if b["value"] != "Alice, Paris." {
		t.Errorf("get answered %v", b)
	}
	e.call("PUT", "/v1/agents/"+id+"/blocks/notes", `{"value": "new", "description": "scratch"}`, http.StatusOK)
	e.wantError(e.do("GET", "/v1/agents/"+id+"/blocks/nope", ""), http.StatusNotFound, "not_found", "nope")
}

func TestArchival(t *testing.T) {
	e := newEnv(t)
	id := e.agent("")
	w := e.do("POST", "/v1/agents/"+id+"/archival", `{"text": "Alice lives in Paris.", "key": "alice/city",
		"tags": ["home"], "valid_from": "2025-01-01T00:00:00Z", "metadata": {"by": "test"}}`)
	if w.Code != http.StatusCreated {
		t.Fatalf("insert: %d %s", w.Code, w.Body)
	}
	pid := idOf(t, w.Body.String())
	if got, want := w.Header().Get("Location"), "/v1/agents/"+id+"/archival/"+pid; got != want {
		t.Errorf("Location %q, want %q", got, want)
	}
	p := e.call("GET", "/v1/agents/"+id+"/archival/"+pid, "", http.StatusOK)
	if p["status"] != "valid" || p["valid_to"] != nil || p["source"] != "user" || p["valid_from"] != "2025-01-01T00:00:00Z" {
		t.Errorf("passage %v", p)
	}
	res := e.call("POST", "/v1/agents/"+id+"/archival/search", `{"query": "where does Alice live", "k": 5}`, http.StatusOK)
	hits := res["results"].([]any)
	if len(hits) != 1 {
		t.Fatalf("results %v", res)
	}
	hit := hits[0].(map[string]any)
	if hit["passage"].(map[string]any)["id"] != pid || hit["scores"].(map[string]any)["validity"] != 1.0 {
		t.Errorf("hit %v", hit)
	}
	e.call("DELETE", "/v1/agents/"+id+"/archival/"+pid, "", http.StatusNoContent)
	e.wantError(e.do("GET", "/v1/agents/"+id+"/archival/"+pid, ""), http.StatusNotFound, "not_found", pid)
	e.wantError(e.do("DELETE", "/v1/agents/"+id+"/archival/"+pid, ""), http.StatusNotFound, "not_found", pid)
	e.wantError(e.do("POST", "/v1/agents/"+id+"/archival/search", `{"query": "x", "k": 1000}`),
		http.StatusBadRequest, "invalid_argument", "k must be")
}

func TestRecallSearchFindsMessages(t *testing.T) {
	e := newEnv(t)
	id := e.agent("")
	e.call("POST", "/v1/agents/"+id+"/messages", `{"messages": [{"role": "user", "content": "My cat is called Tom."}]}`, http.StatusOK)
	res := e.call("POST", "/v1/agents/"+id+"/recall/search", `{"query": "cat Tom", "roles": ["user"]}`, http.StatusOK)
	hits := res["results"].([]any)
	if len(hits) != 1 || hits[0].(map[string]any)["message"].(map[string]any)["content"] != "My cat is called Tom." {
		t.Errorf("recall %v", res)
	}
	// No embedder runs in this environment: the message was matched by its words only, and the
	// answer says so.
	if res["vectors_pending"] != 1.0 {
		t.Errorf("vectors_pending %v, want 1", res["vectors_pending"])
	}
	res = e.call("POST", "/v1/agents/"+id+"/recall/search", `{"query": "zebra"}`, http.StatusOK)
	if hits := res["results"].([]any); len(hits) != 0 {
		t.Errorf("recall for an absent word found %v", hits)
	}
}

func TestTools(t *testing.T) {
	e := newEnv(t)
	id := e.agent(`{"name": "a", "blocks": [{"label": "human", "value": "Alice."}]}`)
	for format, key := range map[string]string{"openai": "function", "anthropic": "input_schema"} {
		out := e.call("GET", "/v1/agents/"+id+"/tools?format="+format, "", http.StatusOK)
		tools := out["tools"].([]any)
		if len(tools) != 6 {
			t.Fatalf("%s: %d tools", format, len(tools))
		}
		if _, ok := tools[0].(map[string]any)[key]; !ok {
			t.Errorf("%s tool has no %q: %v", format, key, tools[0])
		}
	}
	e.wantError(e.do("GET", "/v1/agents/"+id+"/tools?format=x", ""), http.StatusBadRequest, "invalid_argument", "format")
	e.wantError(e.do("GET", "/v1/agents/ag_nope/tools", ""), http.StatusNotFound, "not_found", "ag_nope")

	res := e.call("POST", "/v1/agents/"+id+"/tool-calls",
		`{"name": "core_memory_append", "arguments": {"label": "human", "content": "Lives in Paris."}, "record": true}`, http.StatusOK)
	if res["is_error"] != false || !strings.Contains(res["content"].(string), "Appended") || res["recorded"] == nil {
		t.Errorf("tool call %v", res)
	}
	// A bad argument is content for the model, not an HTTP error.
	res = e.call("POST", "/v1/agents/"+id+"/tool-calls",
		`{"name": "core_memory_append", "arguments": "{\"label\": \"human\", \"bogus\": 1}"}`, http.StatusOK)
	if res["is_error"] != true || !strings.Contains(res["content"].(string), "bogus") {
		t.Errorf("bad argument answered %v", res)
	}
}

func TestDomainErrors(t *testing.T) {
	e := newEnv(t)
	small := e.agent(`{"name": "s", "context_window": 512, "tools_in_context": false,
		"blocks": [{"label": "persona", "value": "bot", "read_only": true}, {"label": "human", "value": "", "limit": 10}]}`)
	big := strings.Repeat("word ", 2000)
	cases := []struct {
		name, method, path, body string
		status                   int
		code                     string
		parts                    []string
	}{
		{"unknown agent", "GET", "/v1/agents/ag_missing", "", 404, "not_found", []string{"agent ag_missing does not exist"}},
		{"unknown agent append", "POST", "/v1/agents/ag_missing/messages", `{"messages": [{"role": "user", "content": "hi"}]}`, 404, "not_found", []string{"ag_missing"}},
		{"read-only block", "PUT", "/v1/agents/" + small + "/blocks/persona", `{"value": "evil"}`, 403, "permission_denied", []string{"read-only"}},
		{"block over limit", "PUT", "/v1/agents/" + small + "/blocks/human", `{"value": "far more than ten characters"}`, 422, "unprocessable", []string{"limit"}},
		{"message too large", "POST", "/v1/agents/" + small + "/messages", fmt.Sprintf(`{"messages": [{"role": "user", "content": %q}]}`, big), 413, "too_large", []string{"messages[0]"}},
		{"bad role", "POST", "/v1/agents/" + small + "/messages", `{"messages": [{"role": "robot", "content": "x"}]}`, 400, "invalid_argument", []string{"role"}},
		{"no messages", "POST", "/v1/agents/" + small + "/messages", `{}`, 400, "invalid_argument", []string{"messages"}},
		{"bad pager", "POST", "/v1/agents", `{"pager": {"warn_ratio": 2}}`, 400, "invalid_argument", []string{"warn_ratio"}},
		{"window too small", "POST", "/v1/agents", `{"context_window": 300, "system": "` + strings.Repeat("long ", 200) + `"}`, 422, "unprocessable", []string{"context_window"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e.t = t
			e.wantError(e.do(tc.method, tc.path, tc.body), tc.status, tc.code, tc.parts...)
		})
	}
	// Nothing was stored by the refused append.
	e.t = t
	out := e.call("GET", "/v1/agents/"+small+"/messages", "", http.StatusOK)
	if items := out["items"].([]any); len(items) != 0 {
		t.Errorf("a refused append stored %v", items)
	}
}

// GET /v1/agents/{agent_id}/stats counts the history, the evicted messages and the passages.
func TestAgentStats(t *testing.T) {
	e := newEnv(t)
	id := e.call("POST", "/v1/agents", `{"name": "s", "context_window": 4000}`, 201)["id"].(string)
	st := e.call("GET", "/v1/agents/"+id+"/stats", "", 200)
	if st["messages"] != 0.0 || st["evicted"] != 0.0 || st["passages"] != 0.0 {
		t.Fatalf("stats of a new agent: %v", st)
	}
	e.call("POST", "/v1/agents/"+id+"/messages", `{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}`, 200)
	e.call("POST", "/v1/agents/"+id+"/archival", `{"text": "Alice lives in Paris."}`, 201)
	st = e.call("GET", "/v1/agents/"+id+"/stats", "", 200)
	ctx := st["context"].(map[string]any)
	if st["messages"] != 2.0 || st["evicted"] != 0.0 || st["passages"] != 1.0 || ctx["in_context"] != 2.0 || ctx["window"] != 4000.0 {
		t.Fatalf("stats: %v", st)
	}
	e.wantError(e.do("GET", "/v1/agents/ag_nope/stats", ""), 404, "not_found", "ag_nope")
	e.wantError(e.do("GET", "/v1/agents/"+id+"/stats?x=1", ""), 400, "invalid_argument")
}
