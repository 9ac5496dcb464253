// Package client is the Go client of memsvc's HTTP API, v1: a method for every endpoint, taking
// and answering the very types the server encodes (package api's envelopes, and the pager's,
// state's and archival's bodies), a context on every call, errors as *Error values carrying the
// API's code, and retries of transient failures made safe by an Idempotency-Key.
//
// Retries: a request that fails to reach the server, or answers 429 (after its Retry-After),
// 502, 503 or 504, is sent again up to Retries times, with a jittered exponential delay. Every
// write (POST, PUT, PATCH, DELETE) carries an Idempotency-Key, generated once per call unless
// the context sets one (WithIdempotencyKey), so a retried write the server already applied
// answers its first answer instead of applying it twice.
package client

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/memsvc/memsvc/api"
	"github.com/memsvc/memsvc/retry"
)

// Client calls one memsvc server. It is safe for concurrent use.
type Client struct {
	base    string
	key     string
	hc      *http.Client
	retries int
	backoff time.Duration
	// noIdem turns the automatic Idempotency-Key off (WithAutoIdempotency(false)).
	noIdem bool
}

// Option configures a Client.
type Option func(*Client)

// WithAPIKey sends key as Authorization: Bearer on every request.
func WithAPIKey(key string) Option { return func(c *Client) { c.key = key } }

// WithHTTPClient uses hc instead of a client with a 60 s timeout.
func WithHTTPClient(hc *http.Client) Option { return func(c *Client) { c.hc = hc } }

// WithRetries sets how many times a transient failure is retried (default 3; negative: never)
// and the base delay (default 250 ms).
func WithRetries(n int, backoff time.Duration) Option {
	return func(c *Client) { c.retries, c.backoff = retry.Normalize(n, backoff) }
}

// WithAutoIdempotency(false) sends no Idempotency-Key unless the context sets one
// (WithIdempotencyKey): for load generators that must not add the server's idempotency records to
// what they measure. Writes retried without a key may then apply twice.
func WithAutoIdempotency(on bool) Option { return func(c *Client) { c.noIdem = !on } }

// New returns a client of the server at baseURL (e.g. http://127.0.0.1:8080).
func New(baseURL string, opts ...Option) *Client {
	c := &Client{base: trimSlash(baseURL), hc: &http.Client{Timeout: 60 * time.Second}}
	c.retries, c.backoff = retry.Normalize(0, 0)
	for _, o := range opts {
		o(c)
	}
	return c
}

func trimSlash(s string) string {
	for len(s) > 0 && s[len(s)-1] == '/' {
		s = s[:len(s)-1]
	}
	return s
}

// Error is an error the API answered: its HTTP status and {"error": {"code", "message"}}.
// errors.Is(err, client.ErrNotFound) and the like compare codes.
type Error struct {
	Status  int
	Code    string
	Message string
	// RetryAfter is the server's Retry-After on a 429, else 0.
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	return fmt.Sprintf("memsvc: %d %s: %s", e.Status, e.Code, e.Message)
}

// Is reports whether target is an *Error with the same code (a sentinel below matches any
// error of its code).
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// Sentinels of the API's error codes, for errors.Is.
var (
	ErrInvalidArgument  = &Error{Code: "invalid_argument"}
	ErrUnauthenticated  = &Error{Code: "unauthenticated"}
	ErrPermissionDenied = &Error{Code: "permission_denied"}
	ErrNotFound         = &Error{Code: "not_found"}
	ErrConflict         = &Error{Code: "conflict"}
	ErrTooLarge         = &Error{Code: "too_large"}
	ErrUnprocessable    = &Error{Code: "unprocessable"}
	ErrRateLimited      = &Error{Code: "rate_limited"}
	ErrUnavailable      = &Error{Code: "unavailable"}
	ErrInternal         = &Error{Code: "internal"}
)

type idemKey struct{}

// WithIdempotencyKey makes the writes called with ctx send key as their Idempotency-Key
// (instead of one generated per call), so a caller can repeat a write across processes.
func WithIdempotencyKey(ctx context.Context, key string) context.Context {
	return context.WithValue(ctx, idemKey{}, key)
}

func newIdempotencyKey() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return "memsvc-go-" + hex.EncodeToString(b[:])
}

// Do sends a request to any path of the API (for endpoints newer than this client), with the
// client's key, retries and idempotency, and decodes a 2xx answer into out (when not nil). query
// may be nil; body nil sends no body.
func (c *Client) Do(ctx context.Context, method, path string, query url.Values, body, out any) error {
	return c.do(ctx, method, path, query, body, out)
}

// do sends a request, retrying transient failures, and decodes a 2xx answer into out (when not
// nil). query may be nil; body nil sends no body.
func (c *Client) do(ctx context.Context, method, path string, query url.Values, body, out any) error {
	var payload []byte
	if body != nil {
		var err error
		if payload, err = json.Marshal(body); err != nil {
			return fmt.Errorf("memsvc: encode %s %s: %w", method, path, err)
		}
	}
	u := c.base + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	var idem string
	if method != http.MethodGet && method != http.MethodHead {
		idem, _ = ctx.Value(idemKey{}).(string)
		if idem == "" && !c.noIdem {
			idem = newIdempotencyKey()
		}
	}
	for attempt := 0; ; attempt++ {
		err := c.once(ctx, method, u, payload, idem, out)
		if err == nil || attempt >= c.retries || ctx.Err() != nil {
			return err
		}
		wait := retry.Delay(c.backoff, attempt)
		var ae *Error
		if errors.As(err, &ae) {
			switch {
			case ae.Status == http.StatusTooManyRequests:
				wait = max(wait, ae.RetryAfter)
			case ae.Status == http.StatusBadGateway || ae.Status == http.StatusServiceUnavailable || ae.Status == http.StatusGatewayTimeout:
			default:
				return err // the caller's error: retrying would not change it
			}
		}
		if err := retry.Sleep(ctx, wait); err != nil {
			return err
		}
	}
}

func (c *Client) once(ctx context.Context, method, u string, payload []byte, idem string, out any) error {
	var r io.Reader
	if payload != nil {
		r = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, r)
	if err != nil {
		return fmt.Errorf("memsvc: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.key != "" {
		req.Header.Set("Authorization", "Bearer "+c.key)
	}
	if idem != "" {
		req.Header.Set("Idempotency-Key", idem)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return fmt.Errorf("memsvc: %s %s: %w", method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("memsvc: %s %s: read the answer: %w", method, req.URL.Path, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		e := &Error{Status: resp.StatusCode}
		var body api.ErrorBody
		if json.Unmarshal(data, &body) == nil && body.Error.Code != "" {
			e.Code, e.Message = body.Error.Code, body.Error.Message
		} else {
			e.Code, e.Message = codeOf(resp.StatusCode), string(bytes.TrimSpace(data))
		}
		if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s > 0 {
			e.RetryAfter = time.Duration(s) * time.Second
		}
		return e
	}
	if out == nil || len(data) == 0 {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("memsvc: %s %s: decode the answer: %w", method, req.URL.Path, err)
	}
	return nil
}

// codeOf is the API code of a status, for an answer that is not the API's (a proxy's).
func codeOf(status int) string {
	switch status {
	case 400:
		return "invalid_argument"
	case 401:
		return "unauthenticated"
	case 403:
		return "permission_denied"
	case 404:
		return "not_found"
	case 409:
		return "conflict"
	case 413:
		return "too_large"
	case 422:
		return "unprocessable"
	case 429:
		return "rate_limited"
	case 502, 503, 504:
		return "unavailable"
	}
	return "internal"
}

// p builds a path from fixed parts and escaped parameters: p("/v1/agents/", id, "/blocks/", label).
func p(parts ...string) string {
	var b []byte
	for i, s := range parts {
		if i%2 == 1 {
			s = url.PathEscape(s)
		}
		b = append(b, s...)
	}
	return string(b)
}
