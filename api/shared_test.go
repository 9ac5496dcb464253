package api_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
)

func blockOf(t *testing.T, e *keyEnv, token, agentID, label string) map[string]any {
	t.Helper()
	return e.callAs(token, "GET", "/v1/agents/"+agentID+"/blocks/"+label, "", http.StatusOK)
}

// A shared block attached to three agents: writable in place, read-only, and copy-on-write. A
// write through the writable one reaches all; the read-only one cannot write; the copy-on-write
// one's write makes its private copy and leaves the others untouched. Writes keep a history with
// undo, and another tenant cannot attach the block.
func TestSharedBlocksAndCopyOnWrite(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *keyEnv) {
		acme, globex := e.key("acme", false), e.key("globex", false)
		agent := func(tok string) string {
			return e.callAs(tok, "POST", "/v1/agents", `{"name": "x"}`, http.StatusCreated)["id"].(string)
		}
		writer, reader, cow := agent(acme), agent(acme), agent(acme)
		sb := e.callAs(acme, "POST", "/v1/blocks", `{"label": "policy", "value": "Refunds within 30 days.", "limit": 500}`, http.StatusCreated)
		sid := sb["id"].(string)
		if sb["tenant"] != "acme" || sb["version"] != 1.0 {
			t.Fatalf("shared block %v", sb)
		}
		attach := func(agentID, mode string) map[string]any {
			return e.callAs(acme, "POST", "/v1/agents/"+agentID+"/attachments", `{"block_id": "`+sid+`"`+mode+`}`, http.StatusOK)
		}
		attach(writer, "")
		attach(reader, `, "read_only": true`)
		if b := attach(cow, `, "copy_on_write": true`); b["shared_id"] != sid || b["copy_on_write"] != true || b["value"] != "Refunds within 30 days." {
			t.Fatalf("attachment %v", b)
		}
		e.wantError(e.as(acme, "POST", "/v1/agents/"+writer+"/attachments", `{"block_id": "`+sid+`", "read_only": true, "copy_on_write": true}`),
			http.StatusBadRequest, "invalid_argument", "not both")
		before := e.callAs(acme, "GET", "/v1/agents/"+reader+"/context", "", http.StatusOK)["tokens"].(map[string]any)["blocks"].(float64)

		// A write through the writable attachment reaches every agent.
		res := e.toolCall(acme, writer, "core_memory_append", map[string]any{"label": "policy", "content": "Store credit after that."})
		if res["is_error"] == true {
			t.Fatalf("append: %v", res)
		}
		want := "Refunds within 30 days.\nStore credit after that."
		for _, id := range []string{writer, reader, cow} {
			if b := blockOf(t, e, acme, id, "policy"); b["value"] != want {
				t.Errorf("agent %s reads %v", id, b["value"])
			}
		}
		after := e.callAs(acme, "GET", "/v1/agents/"+reader+"/context", "", http.StatusOK)["tokens"].(map[string]any)["blocks"].(float64)
		if after <= before {
			t.Errorf("the reader's block tokens were not recounted: %v then %v", before, after)
		}
		// The read-only attachment cannot write, by tool or REST.
		if res := e.toolCall(acme, reader, "core_memory_append", map[string]any{"label": "policy", "content": "No refunds."}); res["is_error"] != true ||
			!strings.Contains(res["content"].(string), "read-only") {
			t.Errorf("read-only append: %v", res)
		}
		e.wantError(e.as(acme, "PUT", "/v1/agents/"+reader+"/blocks/policy", `{"value": "No refunds."}`), http.StatusForbidden, "permission_denied", "read-only")

		// Copy-on-write: cow's write is its own.
		res = e.toolCall(acme, cow, "core_memory_replace", map[string]any{"label": "policy", "old_content": "30 days", "new_content": "14 days"})
		if res["is_error"] == true {
			t.Fatalf("cow replace: %v", res)
		}
		if b := blockOf(t, e, acme, cow, "policy"); b["value"] != strings.Replace(want, "30 days", "14 days", 1) || b["shared_id"] != nil {
			t.Errorf("cow's private copy %v", b)
		}
		for _, id := range []string{writer, reader} {
			if b := blockOf(t, e, acme, id, "policy"); b["value"] != want {
				t.Errorf("cow's write reached %s: %v", id, b["value"])
			}
		}
		got := e.callAs(acme, "GET", "/v1/blocks/"+sid, "", http.StatusOK)
		if got["value"] != want || len(got["attachments"].([]any)) != 2 || got["version"] != 2.0 {
			t.Errorf("shared block after the private copy: %v", got)
		}
		// A later shared write does not reach the private copy.
		e.callAs(acme, "PUT", "/v1/agents/"+writer+"/blocks/policy", `{"value": "Refunds within 60 days."}`, http.StatusOK)
		if b := blockOf(t, e, acme, cow, "policy"); !strings.Contains(b["value"].(string), "14 days") {
			t.Errorf("the private copy followed the shared block: %v", b)
		}

		// History and undo, through the writable attachment.
		h := e.callAs(acme, "GET", "/v1/agents/"+reader+"/blocks/policy/history", "", http.StatusOK)["items"].([]any)
		if len(h) != 3 || h[0].(map[string]any)["action"] != "created" || h[2].(map[string]any)["after"] != "Refunds within 60 days." ||
			h[1].(map[string]any)["agent_id"] != writer || h[1].(map[string]any)["cause"] != "core_memory_append" {
			t.Fatalf("history %v", h)
		}
		if b := e.callAs(acme, "POST", "/v1/agents/"+writer+"/blocks/policy/undo", "", http.StatusOK); b["value"] != want {
			t.Errorf("undo answered %v", b)
		}
		if b := blockOf(t, e, acme, reader, "policy"); b["value"] != want {
			t.Errorf("undo did not reach the reader: %v", b)
		}
		e.callAs(acme, "POST", "/v1/agents/"+writer+"/blocks/policy/undo", "", http.StatusOK)
		if b := blockOf(t, e, acme, writer, "policy"); b["value"] != "Refunds within 30 days." {
			t.Errorf("second undo: %v", b)
		}
		e.wantError(e.as(acme, "POST", "/v1/agents/"+writer+"/blocks/policy/undo", ""), http.StatusConflict, "conflict", "no write to undo")
		e.wantError(e.as(acme, "POST", "/v1/agents/"+reader+"/blocks/policy/undo", ""), http.StatusConflict, "conflict")
		// Undo of the private copy's write, in its own history.
		if b := e.callAs(acme, "POST", "/v1/agents/"+cow+"/blocks/policy/undo", "", http.StatusOK); b["value"] != want {
			t.Errorf("undo of the private copy: %v", b)
		}

		// Another tenant can neither see nor attach it.
		g := agent(globex)
		e.wantError(e.as(globex, "GET", "/v1/blocks/"+sid, ""), http.StatusNotFound, "not_found", sid)
		e.wantError(e.as(globex, "POST", "/v1/agents/"+g+"/attachments", `{"block_id": "`+sid+`"}`), http.StatusNotFound, "not_found", sid)
		// Detaching leaves the shared block.
		e.call("DELETE", "/v1/agents/"+reader+"/attachments/"+sid, "", http.StatusNoContent, "Authorization", "Bearer "+acme)
		e.wantError(e.as(acme, "GET", "/v1/agents/"+reader+"/blocks/policy", ""), http.StatusNotFound, "not_found")
		e.wantError(e.as(acme, "DELETE", "/v1/agents/"+reader+"/attachments/"+sid, ""), http.StatusNotFound, "not_found")
		if got := e.callAs(acme, "GET", "/v1/blocks/"+sid, "", http.StatusOK); len(got["attachments"].([]any)) != 1 {
			t.Errorf("attachments after detaching %v", got["attachments"])
		}
		// A label the agent has is a conflict; shared_id on create is refused.
		own := e.callAs(acme, "POST", "/v1/agents", `{"name": "o", "blocks": [{"label": "policy", "value": "mine"}]}`, http.StatusCreated)["id"].(string)
		e.wantError(e.as(acme, "POST", "/v1/agents/"+own+"/attachments", `{"block_id": "`+sid+`"}`), http.StatusConflict, "conflict", "policy")
		e.wantError(e.as(acme, "POST", "/v1/agents", `{"blocks": [{"label": "p", "shared_id": "`+sid+`"}]}`), http.StatusBadRequest, "invalid_argument", "attachments")
	})
}

// Every write of an agent's own block is in its history, and undo walks it back.
func TestBlockHistoryUndo(t *testing.T) {
	e := newKeyEnv(t, "embedded")
	id := e.agent(`{"name": "a", "blocks": [{"label": "human", "value": "Alice."}]}`)
	e.call("PUT", "/v1/agents/"+id+"/blocks/human", `{"value": "Alice, Paris."}`, http.StatusOK)
	e.call("PUT", "/v1/agents/"+id+"/blocks/human", `{"value": "Alice, Berlin."}`, http.StatusOK)
	e.call("PUT", "/v1/agents/"+id+"/blocks/notes", `{"value": "n"}`, http.StatusOK)
	h := e.call("GET", "/v1/agents/"+id+"/blocks/human/history", "", http.StatusOK)["items"].([]any)
	if len(h) != 2 || h[0].(map[string]any)["before"] != "Alice." || h[1].(map[string]any)["after"] != "Alice, Berlin." {
		t.Fatalf("history %v", h)
	}
	if b := e.call("POST", "/v1/agents/"+id+"/blocks/human/undo", "", http.StatusOK); b["value"] != "Alice, Paris." {
		t.Errorf("undo %v", b)
	}
	if b := e.call("POST", "/v1/agents/"+id+"/blocks/human/undo", "", http.StatusOK); b["value"] != "Alice." {
		t.Errorf("undo %v", b)
	}
	e.wantError(e.do("POST", "/v1/agents/"+id+"/blocks/human/undo", ""), http.StatusConflict, "conflict", "no write to undo")
	e.wantError(e.do("POST", "/v1/agents/"+id+"/blocks/notes/undo", ""), http.StatusConflict, "conflict")
	h = e.call("GET", "/v1/agents/"+id+"/blocks/human/history", "", http.StatusOK)["items"].([]any)
	if len(h) != 4 || h[3].(map[string]any)["action"] != "undone" || h[3].(map[string]any)["undoes"] != h[0].(map[string]any)["seq"] {
		t.Errorf("history after undo %v", h)
	}
}

// Concurrent writes through two agents' attachments lose nothing: a write that finds the shared
// block moved reads it again.
func TestSharedBlockConcurrentWrites(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *keyEnv) {
		k := e.key("acme", false)
		sid := e.callAs(k, "POST", "/v1/blocks", `{"label": "log", "value": "start", "limit": 5000}`, http.StatusCreated)["id"].(string)
		agents := make([]string, 2)
		for i := range agents {
			agents[i] = e.callAs(k, "POST", "/v1/agents", `{"name": "w"}`, http.StatusCreated)["id"].(string)
			e.callAs(k, "POST", "/v1/agents/"+agents[i]+"/attachments", `{"block_id": "`+sid+`"}`, http.StatusOK)
		}
		const each = 6
		var wg sync.WaitGroup
		errs := make(chan string, 2*each)
		for i := range 2 * each {
			wg.Add(1)
			go func() {
				defer wg.Done()
				w := e.as(k, "POST", "/v1/agents/"+agents[i%2]+"/tool-calls",
					fmt.Sprintf(`{"name": "core_memory_append", "arguments": {"label": "log", "content": "entry-%02d"}}`, i))
				if w.Code != http.StatusOK || strings.Contains(w.Body.String(), `"is_error":true`) {
					errs <- w.Body.String()
				}
			}()
		}
		wg.Wait()
		close(errs)
		for e := range errs {
			t.Errorf("append: %s", e)
		}
		got := e.callAs(k, "GET", "/v1/blocks/"+sid, "", http.StatusOK)
		for i := range 2 * each {
			if !strings.Contains(got["value"].(string), fmt.Sprintf("entry-%02d", i)) {
				t.Errorf("entry-%02d was lost: %q", i, got["value"])
			}
		}
		if got["version"] != float64(1+2*each) {
			t.Errorf("version %v, want %d", got["version"], 1+2*each)
		}
	})
}
