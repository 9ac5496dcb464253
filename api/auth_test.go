package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/memsvc/memsvc/api"
	"github.com/memsvc/memsvc/auth"
)

// Without keys only loopback clients are served, as the default tenant; once a key exists every
// /v1 request needs one, and a revoked or unknown key is 401. The public paths need none.
func TestAuthModes(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *keyEnv) {
		e.call("GET", "/v1/agents", "", http.StatusOK)
		id := e.agent("")
		if a := e.call("GET", "/v1/agents/"+id, "", http.StatusOK); a["tenant"] != "default" {
			t.Errorf("a keyless loopback client's agent belongs to %v, want default", a["tenant"])
		}
		remote := func(method, path, token string) *httptest.ResponseRecorder {
			return e.from("203.0.113.9:5000", token, method, path)
		}
		w := remote("GET", "/v1/agents", "")
		e.wantError(w, http.StatusUnauthorized, "unauthenticated", "loopback clients only", "memsvc keys create")
		for _, public := range []string{"/healthz", "/readyz", "/openapi.json"} {
			if w := remote("GET", public, ""); w.Code != http.StatusOK {
				t.Errorf("GET %s from another host: %d", public, w.Code)
			}
		}

		acme := e.key("acme", false)
		w = e.do("GET", "/v1/agents", "")
		e.wantError(w, http.StatusUnauthorized, "unauthenticated", "missing API key")
		if got := w.Header().Get("WWW-Authenticate"); !strings.HasPrefix(got, "Bearer") {
			t.Errorf("WWW-Authenticate = %q", got)
		}
		e.wantError(e.do("GET", "/metrics", ""), http.StatusUnauthorized, "unauthenticated")
		e.callAs(acme, "GET", "/v1/agents", "", http.StatusOK)
		if w := remote("GET", "/v1/agents", acme); w.Code != http.StatusOK {
			t.Errorf("a key from another host: %d %s", w.Code, w.Body)
		}
		if w := e.as(acme, "GET", "/metrics", ""); w.Code != http.StatusOK {
			t.Errorf("/metrics with a key: %d", w.Code)
		}
		// The keyless agent now belongs to a tenant no key has: invisible to acme.
		e.wantError(e.as(acme, "GET", "/v1/agents/"+id, ""), http.StatusNotFound, "not_found", id)

		for _, bad := range []string{"msk_" + strings.Repeat("a", 69), "garbage", acme + "x", strings.Repeat("k", 300)} {
			e.wantError(e.as(bad, "GET", "/v1/agents", ""), http.StatusUnauthorized, "unauthenticated", "not valid")
		}
		e.wantError(e.do("GET", "/v1/agents", "", "Authorization", "Basic Zm9vOmJhcg=="), http.StatusUnauthorized, "unauthenticated", "Bearer")

		// Admin endpoints need an admin key.
		e.wantError(e.as(acme, "GET", "/v1/admin/keys", ""), http.StatusForbidden, "permission_denied", "admin key")
		admin := e.key("ops", true)
		created := e.callAs(admin, "POST", "/v1/admin/keys", `{"tenant": "globex", "name": "ci"}`, http.StatusCreated)
		token := created["token"].(string)
		kid := created["key"].(map[string]any)["id"].(string)
		e.callAs(token, "GET", "/v1/agents", "", http.StatusOK)
		e.wantError(e.as(admin, "POST", "/v1/admin/keys", `{"tenant": "Bad Tenant!"}`), http.StatusBadRequest, "invalid_argument", "tenant")
		list := e.callAs(admin, "GET", "/v1/admin/keys?tenant=globex", "", http.StatusOK)
		if items := list["items"].([]any); len(items) != 1 || strings.Contains(list["items"].([]any)[0].(map[string]any)["id"].(string), "msk_") {
			t.Errorf("globex's keys: %v", list)
		}
		if strings.Contains(e.as(admin, "GET", "/v1/admin/keys", "").Body.String(), token) {
			t.Error("a key list shows a token")
		}
		e.call("DELETE", "/v1/admin/keys/"+kid, "", http.StatusNoContent, "Authorization", "Bearer "+admin)
		e.wantError(e.as(token, "GET", "/v1/agents", ""), http.StatusUnauthorized, "unauthenticated", "revoked")
		e.wantError(e.as(admin, "DELETE", "/v1/admin/keys/key_nope", ""), http.StatusNotFound, "not_found", "key_nope")
		// An admin key is otherwise an ordinary key of its tenant.
		e.wantError(e.as(admin, "GET", "/v1/agents/"+id, ""), http.StatusNotFound, "not_found", id)
	})
}

// With every key revoked, memsvc is back to serving loopback clients only.
func TestRevokingEveryKeyFallsBackToLoopback(t *testing.T) {
	e := newKeyEnv(t, "embedded")
	admin := e.key("ops", true)
	e.wantError(e.do("GET", "/v1/agents", ""), http.StatusUnauthorized, "unauthenticated", "missing API key")
	list := e.callAs(admin, "GET", "/v1/admin/keys", "", http.StatusOK)
	kid := list["items"].([]any)[0].(map[string]any)["id"].(string)
	e.call("DELETE", "/v1/admin/keys/"+kid, "", http.StatusNoContent, "Authorization", "Bearer "+admin)
	e.call("GET", "/v1/agents", "", http.StatusOK)
}

// An Idempotency-Key is scoped by tenant: another tenant's write with the same key is its own.
func TestIdempotencyIsScopedByTenant(t *testing.T) {
	e := newKeyEnv(t, "embedded")
	a, b := e.key("acme", false), e.key("globex", false)
	first := e.call("POST", "/v1/agents", `{"name": "a"}`, http.StatusCreated, "Authorization", "Bearer "+a, "Idempotency-Key", "k1")
	second := e.call("POST", "/v1/agents", `{"name": "a"}`, http.StatusCreated, "Authorization", "Bearer "+b, "Idempotency-Key", "k1")
	if first["id"] == second["id"] || second["tenant"] != "globex" {
		t.Fatalf("globex was answered acme's agent: %v", second)
	}
}

// A key over its rate gets 429 with Retry-After; another key and keyless loopback clients are
// not held back by it.
func TestRateLimitPerKey(t *testing.T) {
	e := newKeyEnv(t, "embedded", func(c *api.Config) { c.RateLimit, c.RateBurst = 0.01, 3 })
	a, b := e.key("acme", false), e.key("acme", false)
	for range 3 {
		e.callAs(a, "GET", "/v1/agents", "", http.StatusOK)
	}
	w := e.as(a, "GET", "/v1/agents", "")
	e.wantError(w, http.StatusTooManyRequests, "rate_limited", "rate limit", "retry after")
	if ra := w.Header().Get("Retry-After"); ra == "" || ra == "0" {
		t.Errorf("Retry-After = %q", ra)
	}
	e.callAs(b, "GET", "/v1/agents", "", http.StatusOK)
	if w := e.as(a, "GET", "/healthz", ""); w.Code != http.StatusOK {
		t.Errorf("/healthz is rate limited: %d", w.Code)
	}
}

// Authority comes from the key, not the body: a key created with max_source agent cannot store a
// passage as the user's, stores its passages as the agent's by default, and cannot invalidate or
// restore a user's passage; a key without the limit can.
func TestKeyCapsPassageSource(t *testing.T) {
	forEachStore(t, testKeyCapsPassageSource)
}

func testKeyCapsPassageSource(t *testing.T, e *keyEnv) {
	full := e.key("acme", false)
	_, capped, err := e.keys.Create(context.Background(), "acme", false, "agent-only", auth.MaxSource("agent"))
	if err != nil {
		t.Fatal(err)
	}
	w := e.as(full, "POST", "/v1/agents", `{"name": "a"}`)
	if w.Code != http.StatusCreated {
		t.Fatalf("create agent: %d %s", w.Code, w.Body)
	}
	var agent struct{ ID string }
	if err := json.Unmarshal(w.Body.Bytes(), &agent); err != nil {
		t.Fatal(err)
	}
	arch := "/v1/agents/" + agent.ID + "/archival"
	e.wantError(e.as(capped, "POST", arch, `{"text": "Alice lives in Paris", "source": "user"}`), http.StatusForbidden, "permission_denied")
	w = e.as(capped, "POST", arch, `{"text": "Alice lives in Rome"}`)
	var p struct{ ID, Source string }
	if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil || w.Code != http.StatusCreated || p.Source != "agent" {
		t.Fatalf("capped insert: %d %s, want 201 with source agent", w.Code, w.Body)
	}
	w = e.as(full, "POST", arch, `{"text": "Alice lives in Oslo"}`)
	var u struct{ ID, Source string }
	if err := json.Unmarshal(w.Body.Bytes(), &u); err != nil || u.Source != "user" {
		t.Fatalf("full key insert: %d %s, want source user", w.Code, w.Body)
	}
	e.wantError(e.as(capped, "POST", arch+"/"+u.ID+"/invalidate", `{"reason": "no"}`), http.StatusForbidden, "permission_denied")
	if w := e.as(full, "POST", arch+"/"+u.ID+"/invalidate", `{"reason": "moved"}`); w.Code != http.StatusOK {
		t.Fatalf("full key invalidate: %d %s", w.Code, w.Body)
	}
	e.wantError(e.as(capped, "POST", arch+"/"+u.ID+"/restore", ``), http.StatusForbidden, "permission_denied")
	var got struct{ Status string }
	w = e.as(full, "GET", arch+"/"+u.ID, "")
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil || got.Status != "invalidated" {
		t.Fatalf("after refused restore: %s", w.Body)
	}
}
