package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/memsvc/memsvc/api"
	"github.com/memsvc/memsvc/pager"
)

func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// Every limit on hostile input answers 413 or 400 with a message that names it, and stores
// nothing.
func TestLimits(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *keyEnv) {
		k := e.key("acme", false)
		id := e.callAs(k, "POST", "/v1/agents", `{"name": "a", "context_window": 100000, "blocks": [{"label": "human", "value": "x"}]}`, http.StatusCreated)["id"].(string)
		pid := e.callAs(k, "POST", "/v1/agents/"+id+"/archival", `{"text": "a fact"}`, http.StatusCreated)["id"].(string)
		manyMsgs := make([]map[string]any, pager.MaxMessagesPerAppend+1)
		for i := range manyMsgs {
			manyMsgs[i] = map[string]any{"role": "user", "content": "hi"}
		}
		manyBlocks := make([]map[string]any, pager.MaxBlocks+1)
		for i := range manyBlocks {
			manyBlocks[i] = map[string]any{"label": fmt.Sprintf("b%d", i), "value": "v"}
		}
		manyTags := make([]string, pager.MaxTags+1)
		for i := range manyTags {
			manyTags[i] = fmt.Sprintf("t%d", i)
		}
		manyRules := make([]string, pager.MaxPermissionRules+1)
		for i := range manyRules {
			manyRules[i] = "archival_memory_search"
		}
		bigMeta := map[string]any{"blob": strings.Repeat("m", pager.MaxMetadataBytes)}
		long := strings.Repeat("x", api.MaxParamBytes+1)
		agent := "/v1/agents/" + id
		cases := []struct {
			name, method, path, body string
			status                   int
			parts                    []string
		}{
			{"body", "POST", "/v1/agents", `{"system": "` + strings.Repeat("x", api.DefaultBodyLimit) + `"}`, 413, []string{"larger than"}},
			{"messages per request", "POST", agent + "/messages", jsonOf(map[string]any{"messages": manyMsgs}), 413, []string{"at most 256 messages"}},
			{"message text", "POST", agent + "/messages", jsonOf(map[string]any{"messages": []any{map[string]any{"role": "user", "content": strings.Repeat("x", pager.MaxContentBytes+1)}}}), 413, []string{"longer than"}},
			{"blocks per agent", "POST", "/v1/agents", jsonOf(map[string]any{"blocks": manyBlocks}), 413, []string{"at most 64 blocks"}},
			{"block value", "PUT", agent + "/blocks/human", jsonOf(map[string]any{"value": strings.Repeat("x", 2001)}), 422, []string{"over its limit"}},
			{"block limit", "PUT", agent + "/blocks/human", `{"limit": 100000000}`, 400, []string{"limit must be"}},
			{"system", "POST", "/v1/agents", jsonOf(map[string]any{"system": strings.Repeat("x", pager.MaxSystemChars+1)}), 413, []string{"system is longer"}},
			{"agent metadata", "POST", "/v1/agents", jsonOf(map[string]any{"metadata": bigMeta}), 413, []string{"metadata is larger"}},
			{"passage text", "POST", agent + "/archival", jsonOf(map[string]any{"text": strings.Repeat("x", pager.MaxPassageBytes+1)}), 413, []string{"text is longer"}},
			{"passage metadata", "POST", agent + "/archival", jsonOf(map[string]any{"text": "t", "metadata": bigMeta}), 413, []string{"metadata is larger"}},
			{"tags", "POST", agent + "/archival", jsonOf(map[string]any{"text": "t", "tags": manyTags}), 400, []string{"at most 32 tags"}},
			{"k", "POST", agent + "/archival/search", `{"query": "q", "k": 101}`, 400, []string{"k must be in [1, 100]"}},
			{"negative k", "POST", agent + "/recall/search", `{"query": "q", "k": -1}`, 400, []string{"k must be"}},
			{"query", "POST", agent + "/archival/search", jsonOf(map[string]any{"query": strings.Repeat("q", pager.MaxQueryBytes+1)}), 413, []string{"query is longer"}},
			{"recall query", "POST", agent + "/recall/search", jsonOf(map[string]any{"query": strings.Repeat("q", pager.MaxQueryBytes+1)}), 413, []string{"query is longer"}},
			{"page size", "GET", "/v1/agents?limit=1001", "", 400, []string{"limit"}},
			{"history page size", "GET", agent + "/messages?limit=1001", "", 400, []string{"limit"}},
			{"path parameter", "GET", "/v1/agents/" + long, "", 400, []string{"longer than 256 bytes"}},
			{"passage id", "GET", agent + "/archival/" + long, "", 400, []string{"longer than 256 bytes"}},
			{"reason", "POST", agent + "/archival/" + pid + "/invalidate", jsonOf(map[string]any{"reason": strings.Repeat("r", 2001)}), 400, []string{"reason is longer"}},
			{"tool name", "POST", agent + "/tool-calls", jsonOf(map[string]any{"name": strings.Repeat("n", 65)}), 400, []string{"name is longer"}},
			{"call id", "POST", agent + "/tool-calls", jsonOf(map[string]any{"name": "conversation_search", "call_id": strings.Repeat("c", 129)}), 400, []string{"call_id is longer"}},
			{"permission rules", "PATCH", agent, jsonOf(map[string]any{"permissions": map[string]any{"deny": manyRules}}), 400, []string{"over the limit of 64"}},
			{"name", "PATCH", agent, jsonOf(map[string]any{"name": strings.Repeat("n", pager.MaxNameChars+1)}), 400, []string{"name is longer"}},
			{"label", "PUT", agent + "/blocks/Bad%20Label", `{"value": "v"}`, 400, []string{"must match"}},
			{"idempotency key", "POST", "/v1/agents", `{}`, 400, []string{"Idempotency-Key"}},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				e.t = t
				hdr := []string{"Authorization", "Bearer " + k}
				if tc.name == "idempotency key" {
					hdr = append(hdr, "Idempotency-Key", strings.Repeat("i", 256))
				}
				code := map[int]string{400: "invalid_argument", 413: "too_large", 422: "unprocessable"}[tc.status]
				e.wantError(e.do(tc.method, tc.path, tc.body, hdr...), tc.status, code, tc.parts...)
			})
		}
		e.t = t
		// A tool's bad page is content for the model, not an HTTP error.
		res := e.toolCall(k, id, "archival_memory_search", map[string]any{"query": "q", "page": 1000})
		if res["is_error"] != true || !strings.Contains(res["content"].(string), "page must be") {
			t.Errorf("tool page %v", res)
		}
		// Nothing was stored by the refused requests.
		if items := e.callAs(k, "GET", "/v1/agents", "", http.StatusOK)["items"].([]any); len(items) != 1 {
			t.Errorf("refused creates stored agents: %d", len(items))
		}
		if items := e.callAs(k, "GET", agent+"/messages", "", http.StatusOK)["items"].([]any); len(items) != 0 {
			t.Errorf("refused appends stored %d messages", len(items))
		}
		if b := e.callAs(k, "GET", agent+"/blocks/human", "", http.StatusOK); b["value"] != "x" || b["limit"] != 2000.0 {
			t.Errorf("refused block writes changed %v", b)
		}
	})
}

// The request timeout bounds every request, and a request that outlives it answers 503.
func TestEveryRequestHasATimeout(t *testing.T) {
	e := newKeyEnv(t, "embedded", func(c *api.Config) { c.RequestTimeout = 1 })
	w := e.do("GET", "/v1/agents", "")
	e.wantError(w, http.StatusServiceUnavailable, "unavailable")
}
