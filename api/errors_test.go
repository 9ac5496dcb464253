package api_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/memsvc/memsvc/api"
)

func TestUnknownRoute(t *testing.T) {
	e := newEnv(t)
	e.wantError(e.do("GET", "/v2/agents", ""), http.StatusNotFound, "not_found", "no route for GET /v2/agents")
	e.wantError(e.do("POST", "/v1/agents/x/nothing", `{}`), http.StatusNotFound, "not_found")
	e.wantError(e.do("GET", "/v1/agents/", ""), http.StatusNotFound, "not_found", "no route for GET /v1/agents/")
	w := e.do("PUT", "/v1/agents", `{}`)
	e.wantError(w, http.StatusMethodNotAllowed, "invalid_argument", "PUT is not allowed", "GET")
	if allow := w.Header().Get("Allow"); !strings.Contains(allow, "POST") {
		t.Errorf("Allow %q", allow)
	}
}

// An internal failure answers a generic message; the detail goes to the log only.
func TestInternalErrorIsNotLeaked(t *testing.T) {
	e := newEnv(t)
	e.agent("")
	if err := e.db.Close(); err != nil {
		t.Fatal(err)
	}
	w := e.do("GET", "/v1/agents", "")
	e.wantError(w, http.StatusInternalServerError, "internal")
	if strings.Contains(w.Body.String(), "closed") || strings.Contains(w.Body.String(), "sql") {
		t.Errorf("answer leaks the cause: %s", w.Body)
	}
	if !strings.Contains(e.logs.String(), "database is closed") {
		t.Errorf("the cause was not logged:\n%s", e.logs)
	}
}

func TestRequestTimeout(t *testing.T) {
	e := newEnv(t, func(c *api.Config) { c.RequestTimeout = time.Nanosecond })
	e.wantError(e.do("GET", "/v1/agents", ""), http.StatusServiceUnavailable, "unavailable", "in time")
}

func TestHealthAndReadiness(t *testing.T) {
	down := errors.New("dial tcp 10.0.0.1:5432: connection refused")
	ready := error(nil)
	e := newEnv(t, func(c *api.Config) { c.Ready = func(context.Context) error { return ready } })
	if out := e.call("GET", "/healthz", "", http.StatusOK); out["status"] != "ok" {
		t.Errorf("healthz %v", out)
	}
	if out := e.call("GET", "/readyz", "", http.StatusOK); out["status"] != "ok" {
		t.Errorf("readyz %v", out)
	}
	ready = down
	w := e.do("GET", "/readyz", "")
	e.wantError(w, http.StatusServiceUnavailable, "unavailable")
	if strings.Contains(w.Body.String(), "10.0.0.1") {
		t.Errorf("readyz leaks the cause: %s", w.Body)
	}
	e.call("GET", "/healthz", "", http.StatusOK)
}

func TestHeadErrorHasNoBody(t *testing.T) {
	e := newEnv(t)
	w := e.do("HEAD", "/v1/agents/ag_nope", "")
	if w.Code != http.StatusMethodNotAllowed || w.Body.Len() != 0 {
		t.Errorf("HEAD answered %d with %q", w.Code, w.Body)
	}
}
