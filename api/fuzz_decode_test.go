package api

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/memsvc/memsvc/pager"
	"github.com/memsvc/memsvc/state"
)

// decodeTargets are the request body types the handlers decode.
var decodeTargets = []func() any{
	func() any { return new(pager.AgentSpec) }, func() any { return new(pager.AgentPatch) },
	func() any { return new(appendRequest) }, func() any { return new(pager.BlockInput) },
	func() any { return new(pager.PassageInput) }, func() any { return new(pager.ArchivalQuery) },
	func() any { return new(pager.RecallQuery) }, func() any { return new(pager.ToolCall) },
	func() any { return new(invalidateRequest) }, func() any { return new(pager.SharedBlockInput) },
	func() any { return new(pager.AttachInput) }, func() any { return new(keyRequest) },
	func() any { return new(state.Permissions) },
}

// FuzzDecode feeds arbitrary bodies and Content-Types to the strict decoder of every request
// type: it never panics, and every error it returns is the caller's (400 or 413), never an
// internal one.
func FuzzDecode(f *testing.F) {
	for _, seed := range []string{
		`{}`, `{"name": "a", "blocks": [{"label": "x", "value": "y"}]}`, `{"messages": [{"role": "user", "content": "hi"}]}`,
		`{"text": "t", "valid_from": "2025-01-01T00:00:00Z", "metadata": {"a": [1, {"b": null}]}}`,
		`{"query": "q", "k": 5, "weights": {"relevance": 1e308}}`, `{"name": "core_memory_append", "arguments": "{\"label\": 1}"}`,
		`{"permissions": {"deny": ["*"]}}`, `{"a":`, `[]`, `null`, `{"x": 1} trailing`, "\xff\xfe{}", `{"context_window": 1e999}`,
		`{"valid_from": "9999-99-99T99:99:99Z"}`, `{"tags": [` + string(bytes.Repeat([]byte(`"t",`), 100)) + `"t"]}`,
	} {
		f.Add([]byte(seed), "application/json", uint8(0))
	}
	f.Add([]byte(`{"name": "a"}`), "text/plain", uint8(1))
	f.Add([]byte(`{"name": "a"}`), "application/json; charset=\x00", uint8(2))
	e := echo.New()
	f.Fuzz(func(t *testing.T, body []byte, contentType string, which uint8) {
		target := decodeTargets[int(which)%len(decodeTargets)]()
		req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
		req.Header.Set(echo.HeaderContentType, contentType)
		c := e.NewContext(req, httptest.NewRecorder())
		err := decode(c, 1<<16, target)
		if err == nil {
			return
		}
		status, detail := classify(err, c)
		if status != http.StatusBadRequest && status != http.StatusRequestEntityTooLarge {
			t.Fatalf("decode(%q, %q) into %T: status %d %+v (%v)", body, contentType, target, status, detail, err)
		}
		if detail.Message == "" {
			t.Fatalf("an error without a message: %v", err)
		}
	})
}
