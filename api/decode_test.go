package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/memsvc/memsvc/api"
)

func TestStrictDecoding(t *testing.T) {
	e := newEnv(t, func(c *api.Config) { c.BodyLimit = 1 << 10 })
	id := e.agent("")
	msgs := "/v1/agents/" + id + "/messages"
	cases := []struct {
		name, path, body, contentType string
		status                        int
		code                          string
		parts                         []string
	}{
		{"malformed", "/v1/agents", `{"name": "a",}`, "", 400, "invalid_argument", []string{"malformed JSON at byte offset 14"}},
		{"truncated", "/v1/agents", `{"name": "a"`, "", 400, "invalid_argument", []string{"malformed JSON", "offset 12"}},
		{"unknown field", "/v1/agents", `{"name": "a", "colour": "red"}`, "", 400, "invalid_argument", []string{`unknown field "colour"`}},
		{"unknown nested field", msgs, `{"messages": [{"role": "user", "content": "x", "mood": "happy"}]}`, "", 400, "invalid_argument", []string{`"mood"`}},
		{"wrong type", "/v1/agents", `{"context_window": "big"}`, "", 400, "invalid_argument", []string{`field "context_window" must be an integer`, "string"}},
		{"wrong nested type", "/v1/agents", `{"blocks": [{"label": "x", "limit": 1.5}]}`, "", 400, "invalid_argument", []string{`"blocks.limit"`}},
		{"wrong type in pointer", "/v1/agents", `{"pager": {"keep_last": true}}`, "", 400, "invalid_argument", []string{`"pager.keep_last"`}},
		{"array body", "/v1/agents", `[{"name": "a"}]`, "", 400, "invalid_argument", []string{"JSON object"}},
		{"null body", "/v1/agents", `null`, "", 400, "invalid_argument", []string{"JSON object"}},
		{"trailing data", "/v1/agents", `{"name": "a"} {"name": "b"}`, "", 400, "invalid_argument", []string{"after the JSON object", "offset 13"}},
		{"trailing garbage", "/v1/agents", `{"name": "a"}x`, "", 400, "invalid_argument", []string{"after the JSON object"}},
		{"empty body", "/v1/agents", ``, "", 400, "invalid_argument", []string{"empty"}},
		{"blank body", "/v1/agents", "  \n", "", 400, "invalid_argument", []string{"empty"}},
		{"text content type", "/v1/agents", `{"name": "a"}`, "text/plain", 400, "invalid_argument", []string{"Content-Type"}},
		{"no content type", "/v1/agents", `{"name": "a"}`, "-", 400, "invalid_argument", []string{"Content-Type"}},
		{"bad time", "/v1/agents/" + id + "/archival", `{"text": "x", "valid_from": "yesterday"}`, "", 400, "invalid_argument", []string{`"yesterday"`, "RFC 3339"}},
		{"time not a string", "/v1/agents/" + id + "/archival", `{"text": "x", "valid_from": 5}`, "", 400, "invalid_argument", []string{"RFC 3339"}},
		{"oversize", "/v1/agents", `{"system": "` + strings.Repeat("x", 2000) + `"}`, "", 413, "too_large", []string{"1024 bytes"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e.t = t
			hdr := []string{}
			switch tc.contentType {
			case "":
			case "-":
				hdr = []string{"Content-Type", ""}
			default:
				hdr = []string{"Content-Type", tc.contentType}
			}
			w := e.do("POST", tc.path, tc.body, hdr...)
			e.wantError(w, tc.status, tc.code, tc.parts...)
		})
	}
}

func TestJSONContentTypeVariants(t *testing.T) {
	e := newEnv(t)
	for _, ct := range []string{"application/json", "application/json; charset=utf-8", "application/merge-patch+json"} {
		e.call("POST", "/v1/agents", `{"name": "a"}`, http.StatusCreated, "Content-Type", ct)
	}
}

// An oversize body without Content-Length (chunked) is refused while it is read.
func TestOversizeChunkedBody(t *testing.T) {
	e := newEnv(t, func(c *api.Config) { c.BodyLimit = 64 })
	w := e.doChunked("POST", "/v1/agents", `{"system": "`+strings.Repeat("x", 100)+`"}`)
	e.wantError(w, http.StatusRequestEntityTooLarge, "too_large", "64 bytes")
}

func TestStrictQuery(t *testing.T) {
	e := newEnv(t)
	id := e.agent("")
	cases := []struct{ path, part string }{
		{"/v1/agents?limit=ten", "limit"},
		{"/v1/agents?limit=0", "limit"},
		{"/v1/agents?limit=-3", "limit"},
		{"/v1/agents?limit=5000", "limit"},
		{"/v1/agents?limit=1&limit=2", "2 times"},
		{"/v1/agents?limt=5", `"limt"`},
		{"/v1/agents/" + id + "?verbose=1", `"verbose"`},
		{"/v1/agents/" + id + "/messages?cursor=abc", "cursor"},
		{"/v1/agents/" + id + "/messages?cursor=-1", "cursor"},
		{"/v1/agents/" + id + "/messages?limit=1.5", "limit"},
	}
	for _, tc := range cases {
		e.wantError(e.do("GET", tc.path, ""), http.StatusBadRequest, "invalid_argument", tc.part)
	}
}
