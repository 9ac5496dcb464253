package api_test

import (
	"net/http"
	"strings"
	"testing"
)

// A passage injected by a lower-authority source (an agent's tool call, a tool's output, an
// import) cannot supersede a user-asserted fact on its own, on any path: the key rule, an
// explicit supersedes, or memory_invalidate. The fact stays valid and is flagged possibly
// superseded, for review; a REST caller confirming the supersession makes it so.
func TestInjectedPassageCannotSupersedeUserFact(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *keyEnv) {
		k := e.key("acme", false)
		id := e.callAs(k, "POST", "/v1/agents", `{"name": "a"}`, http.StatusCreated)["id"].(string)
		get := func(pid string) map[string]any {
			return e.callAs(k, "GET", "/v1/agents/"+id+"/archival/"+pid, "", http.StatusOK)
		}
		user := e.callAs(k, "POST", "/v1/agents/"+id+"/archival",
			`{"text": "Alice lives in Paris.", "key": "alice/city", "valid_from": "2025-01-01T00:00:00Z"}`, http.StatusCreated)["id"].(string)

		// The key rule: the agent stores a newer value of the key.
		res := e.toolCall(k, id, "archival_memory_insert", map[string]any{"content": "Alice lives in Berlin.", "key": "alice/city",
			"valid_from": "2025-06-01T00:00:00Z"})
		if res["is_error"] == true {
			t.Fatalf("insert: %v", res)
		}
		agentPid := res["data"].(map[string]any)["id"].(string)
		u := get(user)
		if u["status"] != "valid" || u["valid_to"] != nil || u["possibly_superseded_by"] != agentPid {
			t.Fatalf("after an agent's newer value, the user's fact is %v", u)
		}
		if a := get(agentPid); a["status"] != "valid" || a["source"] != "agent" {
			t.Errorf("the agent's value %v", a)
		}
		h := e.callAs(k, "GET", "/v1/agents/"+id+"/archival/"+user+"/history", "", http.StatusOK)["items"].([]any)
		last := h[len(h)-1].(map[string]any)
		if last["action"] != "possibly_superseded" || !strings.Contains(last["cause"].(string), "review") {
			t.Errorf("history %v", h)
		}

		// Explicit supersedes from a tool's output.
		other := e.callAs(k, "POST", "/v1/agents/"+id+"/archival", `{"text": "Bob's birthday is 3 May."}`, http.StatusCreated)["id"].(string)
		tool := e.callAs(k, "POST", "/v1/agents/"+id+"/archival",
			`{"text": "Bob's birthday is 9 May.", "source": "tool", "supersedes": "`+other+`"}`, http.StatusCreated)
		if tool["supersedes"] != nil {
			t.Errorf("the tool passage claims to supersede: %v", tool)
		}
		if o := get(other); o["status"] != "valid" || o["possibly_superseded_by"] != tool["id"] {
			t.Errorf("after an explicit tool supersedes, the user's fact is %v", o)
		}
		// An imported passage does not either; a user one does.
		imp := e.callAs(k, "POST", "/v1/agents/"+id+"/archival",
			`{"text": "Bob's birthday is 1 June.", "source": "import", "supersedes": "`+other+`"}`, http.StatusCreated)["id"].(string)
		if o := get(other); o["status"] != "valid" {
			t.Errorf("an import superseded the user's fact: %v", o)
		}

		// memory_invalidate, the agent's tool: alone it is refused; with a lower replacement it flags.
		res = e.toolCall(k, id, "memory_invalidate", map[string]any{"passage_id": other, "reason": "a web page says otherwise"})
		if res["is_error"] != true || !strings.Contains(res["content"].(string), "asserted by the user") {
			t.Errorf("agent invalidating a user fact: %v", res)
		}
		res = e.toolCall(k, id, "memory_invalidate", map[string]any{"passage_id": other, "reason": "newer", "superseded_by": imp})
		if res["is_error"] == true || !strings.Contains(res["content"].(string), "stays valid") {
			t.Errorf("agent superseding a user fact by an import: %v", res)
		}
		if o := get(other); o["status"] != "valid" || o["possibly_superseded_by"] != imp {
			t.Errorf("the user's fact after memory_invalidate: %v", o)
		}
		// Search shows the flagged fact as valid but possibly superseded, for the model to check.
		out := e.toolCall(k, id, "archival_memory_search", map[string]any{"query": "Bob birthday 3 May"})
		if !strings.Contains(out["content"].(string), "3 May. (id "+other) || !strings.Contains(out["content"].(string), "possibly superseded by "+imp) {
			t.Errorf("search %v", out["content"])
		}
		// The agent may supersede its own passages, and a user passage may supersede anything.
		a1 := e.toolCall(k, id, "archival_memory_insert", map[string]any{"content": "Carol drinks tea.", "key": "carol/drink"})["data"].(map[string]any)["id"].(string)
		e.toolCall(k, id, "archival_memory_insert", map[string]any{"content": "Carol drinks coffee.", "key": "carol/drink"})
		if p := get(a1); p["status"] != "superseded" {
			t.Errorf("an agent's own older value: %v", p)
		}
		newer := e.callAs(k, "POST", "/v1/agents/"+id+"/archival",
			`{"text": "Alice lives in Rome.", "key": "alice/city", "valid_from": "2025-09-01T00:00:00Z"}`, http.StatusCreated)["id"].(string)
		if u := get(user); u["status"] != "superseded" || u["superseded_by"] != newer {
			t.Errorf("a newer user value: %v", u)
		}
		if a := get(agentPid); a["status"] != "superseded" {
			t.Errorf("the agent's value under a newer user value: %v", a)
		}

		// The review: a REST caller confirms, and the key rule keeps the confirmation.
		e.callAs(k, "POST", "/v1/agents/"+id+"/archival/"+other+"/invalidate", `{"reason": "confirmed", "superseded_by": "`+tool["id"].(string)+`"}`, http.StatusOK)
		if o := get(other); o["status"] != "superseded" || o["superseded_by"] != tool["id"] {
			t.Errorf("a confirmed supersession: %v", o)
		}
	})
}
