package api

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
)

// A panic answers 500 internal with a generic message and is logged with its detail.
func TestRecoverFromPanic(t *testing.T) {
	var logs bytes.Buffer
	s := New(Config{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	s.echo.GET("/boom", func(echo.Context) error { panic("secret detail") })

	w := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/boom", nil)
	req.RemoteAddr = "127.0.0.1:40000" // a server without keys serves loopback clients only
	s.Handler().ServeHTTP(w, req)
	t.Log(logs.String())
	if w.Code != http.StatusInternalServerError {
		t.Fatalf("status %d", w.Code)
	}
	var body errorBody
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || body.Error.Code != "internal" {
		t.Errorf("body %s (%v)", w.Body, err)
	}
	if strings.Contains(w.Body.String(), "secret") {
		t.Errorf("the answer leaks the panic: %s", w.Body)
	}
	if !strings.Contains(logs.String(), "secret detail") {
		t.Error("the panic was not logged")
	}
}

// The status table maps every documented code (API.md's and the ones memsvc adds), and nothing
// maps outside it.
func TestErrorCodesAreDocumented(t *testing.T) {
	codes := map[string]int{
		"invalid_argument": 400, "unauthenticated": 401, "permission_denied": 403, "not_found": 404,
		"conflict": 409, "too_large": 413, "unprocessable": 422, "rate_limited": 429, "unavailable": 503,
		// Added to API.md's codes: an Idempotency-Key repeated with another request.
		"idempotency_mismatch": 422,
	}
	for _, k := range errorKinds {
		if codes[k.code] != k.status {
			t.Errorf("%v maps to %d %s, which API.md does not pair", k.err, k.status, k.code)
		}
	}
	for status, code := range statusCodes {
		if want, ok := codes[code]; !ok || (want != status && status != http.StatusMethodNotAllowed) {
			t.Errorf("status %d maps to code %s", status, code)
		}
	}
}
