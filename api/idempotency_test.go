package api_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"
)

func TestIdempotentReplay(t *testing.T) {
	e := newEnv(t)
	body := `{"name": "once"}`
	first := e.do("POST", "/v1/agents", body, "Idempotency-Key", "k1")
	if first.Code != http.StatusCreated || first.Header().Get("Idempotent-Replayed") != "" {
		t.Fatalf("first: %d %v %s", first.Code, first.Header(), first.Body)
	}
	again := e.do("POST", "/v1/agents", body, "Idempotency-Key", "k1")
	if again.Code != http.StatusCreated || again.Body.String() != first.Body.String() {
		t.Errorf("replay: %d %s, want %d %s", again.Code, again.Body, first.Code, first.Body)
	}
	if again.Header().Get("Idempotent-Replayed") != "true" {
		t.Errorf("replay lacks Idempotent-Replayed: %v", again.Header())
	}
	if n := len(e.call("GET", "/v1/agents", "", http.StatusOK)["items"].([]any)); n != 1 {
		t.Errorf("%d agents after a replayed create, want 1", n)
	}

	// Another key, or none, runs the write again.
	e.call("POST", "/v1/agents", body, http.StatusCreated, "Idempotency-Key", "k2")
	e.call("POST", "/v1/agents", body, http.StatusCreated)
	if n := len(e.call("GET", "/v1/agents", "", http.StatusOK)["items"].([]any)); n != 3 {
		t.Errorf("%d agents, want 3", n)
	}
}

// An Idempotency-Key is bound to its request (method, path and body): the same key with another
// request is refused with 422 idempotency_mismatch and runs nothing; the same request replays.
func TestIdempotencyKeyIsBoundToTheRequest(t *testing.T) {
	e := newEnv(t)
	a, b := e.agent(""), e.agent("")
	msg := `{"messages": [{"role": "user", "content": "hello"}]}`
	e.call("POST", "/v1/agents/"+a+"/messages", msg, http.StatusOK, "Idempotency-Key", "same")
	e.wantError(e.do("POST", "/v1/agents/"+b+"/messages", msg, "Idempotency-Key", "same"), http.StatusUnprocessableEntity, "idempotency_mismatch")
	e.wantError(e.do("POST", "/v1/agents/"+a+"/messages", `{"messages": [{"role": "user", "content": "bye"}]}`, "Idempotency-Key", "same"),
		http.StatusUnprocessableEntity, "idempotency_mismatch")
	if hist := e.call("GET", "/v1/agents/"+b+"/messages", "", http.StatusOK)["items"].([]any); len(hist) != 0 {
		t.Errorf("agent b has %d messages after a refused request, want 0", len(hist))
	}
	w := e.do("POST", "/v1/agents/"+a+"/messages", msg, "Idempotency-Key", "same")
	if w.Code != http.StatusOK || w.Header().Get("Idempotent-Replayed") != "true" {
		t.Errorf("the same request was not replayed: %d %v", w.Code, w.Header())
	}
	if hist := e.call("GET", "/v1/agents/"+a+"/messages", "", http.StatusOK)["items"].([]any); len(hist) != 1 {
		t.Errorf("agent a has %d messages after a replayed append, want 1", len(hist))
	}
}

func TestIdempotencySavesOnlySuccess(t *testing.T) {
	e := newEnv(t)
	id := e.agent(`{"name": "a", "blocks": [{"label": "human", "value": "", "limit": 5}]}`)
	path := "/v1/agents/" + id + "/blocks/human"
	e.wantError(e.do("PUT", path, `{"value": "too long for five"}`, "Idempotency-Key", "k"), http.StatusUnprocessableEntity, "unprocessable")
	// The failure was not stored: the retry with the same key runs and succeeds.
	w := e.do("PUT", path, `{"value": "ok"}`, "Idempotency-Key", "k")
	if w.Code != http.StatusOK || w.Header().Get("Idempotent-Replayed") != "" {
		t.Fatalf("retry: %d %v %s", w.Code, w.Header(), w.Body)
	}
	// DELETE's 204 replays with no body.
	e.call("DELETE", "/v1/agents/"+id, "", http.StatusNoContent, "Idempotency-Key", "del")
	w = e.do("DELETE", "/v1/agents/"+id, "", "Idempotency-Key", "del")
	if w.Code != http.StatusNoContent || w.Body.Len() != 0 || w.Header().Get("Idempotent-Replayed") != "true" {
		t.Errorf("replayed delete: %d %q %v", w.Code, w.Body, w.Header())
	}
}

func TestIdempotencyKeyLimits(t *testing.T) {
	e := newEnv(t)
	e.call("POST", "/v1/agents", `{}`, http.StatusCreated, "Idempotency-Key", strings.Repeat("k", 255))
	e.wantError(e.do("POST", "/v1/agents", `{}`, "Idempotency-Key", strings.Repeat("k", 256)),
		http.StatusBadRequest, "invalid_argument", "Idempotency-Key")
	// Reads ignore the header.
	e.call("GET", "/v1/agents", "", http.StatusOK, "Idempotency-Key", strings.Repeat("k", 300))
}

// Concurrent repeats of one key run the write once; the others replay it.
func TestIdempotencyConcurrentRepeats(t *testing.T) {
	e := newEnv(t)
	id := e.agent("")
	msg := `{"messages": [{"role": "user", "content": "hello"}]}`
	var wg sync.WaitGroup
	codes := make([]int, 8)
	for i := range codes {
		wg.Go(func() {
			codes[i] = e.do("POST", "/v1/agents/"+id+"/messages", msg, "Idempotency-Key", "burst").Code
		})
	}
	wg.Wait()
	for i, c := range codes {
		if c != http.StatusOK {
			t.Errorf("request %d answered %d", i, c)
		}
	}
	if n := len(e.call("GET", "/v1/agents/"+id+"/messages", "", http.StatusOK)["items"].([]any)); n != 1 {
		t.Errorf("%d messages stored, want 1", n)
	}
}
