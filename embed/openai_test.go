package embed

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeOpenAI is an /v1/embeddings server that checks each request and answers with vectors
// whose first component is the text's length (so order can be checked), in reverse index
// order (so reordering by index is exercised).
type fakeOpenAI struct {
	t       *testing.T
	dim     int
	apiKey  string
	mu      sync.Mutex
	batches [][]string
	// fail, if set, may answer instead (return true when it did).
	fail func(w http.ResponseWriter, n int) bool
	// hits counts requests, including failed ones.
	hits atomic.Int32
}

// setFail changes how the fake answers; the handler reads it under mu.
func (f *fakeOpenAI) setFail(fn func(w http.ResponseWriter, n int) bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail = fn
}

func (f *fakeOpenAI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := int(f.hits.Add(1))
	f.mu.Lock()
	fail := f.fail
	f.mu.Unlock()
	if r.Method != http.MethodPost || r.URL.Path != "/v1/embeddings" {
		f.t.Errorf("request %s %s, want POST /v1/embeddings", r.Method, r.URL.Path)
		http.Error(w, "bad path", http.StatusNotFound)
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		f.t.Errorf("Content-Type %q", ct)
	}
	if got, want := r.Header.Get("Authorization"), "Bearer "+f.apiKey; f.apiKey != "" && got != want {
		f.t.Errorf("Authorization %q, want %q", got, want)
	}
	var req struct {
		Model          string   `json:"model"`
		Input          []string `json:"input"`
		EncodingFormat string   `json:"encoding_format"`
		Dimensions     *int     `json:"dimensions"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		f.t.Errorf("decode body: %v", err)
	}
	if req.Model != "test-embed" || req.EncodingFormat != "float" {
		f.t.Errorf("model %q encoding_format %q", req.Model, req.EncodingFormat)
	}
	if fail != nil && fail(w, n) {
		return
	}
	dim := f.dim
	if req.Dimensions != nil {
		dim = *req.Dimensions
	}
	f.mu.Lock()
	f.batches = append(f.batches, req.Input)
	f.mu.Unlock()
	type item struct {
		Object    string    `json:"object"`
		Index     int       `json:"index"`
		Embedding []float32 `json:"embedding"`
	}
	var data []item
	for i := len(req.Input) - 1; i >= 0; i-- {
		v := make([]float32, dim)
		v[0] = float32(len(req.Input[i]))
		data = append(data, item{"embedding", i, v})
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"object": "list", "data": data, "model": req.Model,
		"usage": map[string]int{"prompt_tokens": 1, "total_tokens": 1}})
}

func newFakeOpenAI(t *testing.T, dim int) (*fakeOpenAI, *httptest.Server) {
	f := &fakeOpenAI{t: t, dim: dim}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv
}

func newTestOpenAI(t *testing.T, cfg OpenAIConfig) *OpenAI {
	t.Helper()
	cfg.Model = "test-embed"
	if cfg.Backoff == 0 {
		cfg.Backoff = time.Millisecond
	}
	e, err := NewOpenAI(cfg)
	if err != nil {
		t.Fatalf("NewOpenAI: %v", err)
	}
	return e
}

func TestOpenAIBatchingAndOrder(t *testing.T) {
	f, srv := newFakeOpenAI(t, 8)
	f.apiKey = "sk-test"
	e := newTestOpenAI(t, OpenAIConfig{URL: srv.URL + "/v1/", APIKey: "sk-test", BatchSize: 2})
	if e.Dim() != 0 {
		t.Fatalf("Dim before any call = %d, want 0", e.Dim())
	}
	texts := []string{"a", "bb", "ccc", "dddd", "eeeee"}
	vecs, err := e.Embed(context.Background(), texts)
	if err != nil {
		t.Fatalf("Embed: %v", err)
	}
	if len(vecs) != len(texts) {
		t.Fatalf("%d vectors for %d texts", len(vecs), len(texts))
	}
	for i, v := range vecs {
		if len(v) != 8 || v[0] != float32(len(texts[i])) {
			t.Errorf("vector %d: len %d first %v, want len 8 first %d", i, len(v), v[0], len(texts[i]))
		}
	}
	f.mu.Lock()
	batches := fmt.Sprint(f.batches)
	f.mu.Unlock()
	if got := batches; got != "[[a bb] [ccc dddd] [eeeee]]" {
		t.Errorf("batches %s", got)
	}
	if e.Dim() != 8 || e.Model() != "openai:test-embed" {
		t.Errorf("Dim %d Model %q", e.Dim(), e.Model())
	}
	// No texts, no request.
	before := f.hits.Load()
	if vecs, err := e.Embed(context.Background(), nil); err != nil || len(vecs) != 0 {
		t.Errorf("Embed(nil) = %v, %v", vecs, err)
	}
	if f.hits.Load() != before {
		t.Error("Embed(nil) sent a request")
	}
}

func TestOpenAIDimensions(t *testing.T) {
	_, srv := newFakeOpenAI(t, 8)
	e := newTestOpenAI(t, OpenAIConfig{URL: srv.URL + "/v1", Dimensions: 4})
	if e.Dim() != 4 || e.Model() != "openai:test-embed@4" {
		t.Fatalf("Dim %d Model %q", e.Dim(), e.Model())
	}
	if d, err := e.Probe(context.Background()); err != nil || d != 4 {
		t.Fatalf("Probe = %d, %v", d, err)
	}
}

func TestOpenAIDimensionMismatch(t *testing.T) {
	_, srv := newFakeOpenAI(t, 8)
	e := newTestOpenAI(t, OpenAIConfig{URL: srv.URL + "/v1", Dim: 16})
	_, err := e.Probe(context.Background())
	if !errors.Is(err, ErrDimension) || !strings.Contains(err.Error(), "8-dimensional") {
		t.Fatalf("Probe error %v, want ErrDimension naming 8", err)
	}
}

func TestOpenAIModelNotFound(t *testing.T) {
	for name, body := range map[string]string{
		"openai": `{"error":{"message":"The model 'x' does not exist","type":"invalid_request_error","code":"model_not_found"}}`,
		"vllm":   `{"object":"error","message":"The model ` + "`x`" + ` does not exist.","type":"NotFoundError","code":404}`,
	} {
		t.Run(name, func(t *testing.T) {
			f, srv := newFakeOpenAI(t, 8)
			f.setFail(func(w http.ResponseWriter, _ int) bool {
				w.WriteHeader(http.StatusNotFound)
				io.WriteString(w, body)
				return true
			})
			e := newTestOpenAI(t, OpenAIConfig{URL: srv.URL + "/v1"})
			_, err := e.Embed(context.Background(), []string{"x"})
			if !errors.Is(err, ErrModelNotFound) || !strings.Contains(err.Error(), "does not exist") {
				t.Fatalf("error %v, want ErrModelNotFound with the server's message", err)
			}
			if f.hits.Load() != 1 {
				t.Errorf("%d requests, want 1 (no retry)", f.hits.Load())
			}
		})
	}
}

func TestOpenAINoRetryOn4xx(t *testing.T) {
	f, srv := newFakeOpenAI(t, 8)
	f.setFail(func(w http.ResponseWriter, _ int) bool {
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"error":"Input validation error: inputs cannot be empty"}`)
		return true
	})
	e := newTestOpenAI(t, OpenAIConfig{URL: srv.URL + "/v1", Retries: 5})
	_, err := e.Embed(context.Background(), []string{""})
	if err == nil || errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "inputs cannot be empty") {
		t.Fatalf("error %v, want the server's 400 message", err)
	}
	if f.hits.Load() != 1 {
		t.Errorf("%d requests, want 1", f.hits.Load())
	}
}

func TestOpenAIRetriesTransient(t *testing.T) {
	f, srv := newFakeOpenAI(t, 8)
	f.setFail(func(w http.ResponseWriter, n int) bool {
		switch n {
		case 1:
			http.Error(w, "overloaded", http.StatusServiceUnavailable)
		case 2:
			w.WriteHeader(http.StatusTooManyRequests)
		default:
			return false
		}
		return true
	})
	e := newTestOpenAI(t, OpenAIConfig{URL: srv.URL + "/v1", Retries: 2})
	if _, err := e.Embed(context.Background(), []string{"x"}); err != nil {
		t.Fatalf("Embed: %v", err)
	}
	if f.hits.Load() != 3 {
		t.Errorf("%d requests, want 3", f.hits.Load())
	}

	// Out of retries: ErrUnavailable, with the last cause.
	f.hits.Store(0)
	f.setFail(func(w http.ResponseWriter, _ int) bool {
		http.Error(w, "boom", http.StatusInternalServerError)
		return true
	})
	_, err := e.Embed(context.Background(), []string{"x"})
	if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("error %v, want ErrUnavailable with boom", err)
	}
	if f.hits.Load() != 3 {
		t.Errorf("%d requests, want 3 (1 + 2 retries)", f.hits.Load())
	}
}

func TestOpenAIServerDown(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nothing listens there now: connection refused
	e := newTestOpenAI(t, OpenAIConfig{URL: url + "/v1", Retries: 2})
	_, err := e.Probe(context.Background())
	if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "3 attempts") {
		t.Fatalf("error %v, want ErrUnavailable after 3 attempts", err)
	}
}

func TestOpenAITimeouts(t *testing.T) {
	release := make(chan struct{})
	f, srv := newFakeOpenAI(t, 8)
	f.setFail(func(w http.ResponseWriter, n int) bool {
		if n == 1 {
			<-release // hang the first attempt
			return true
		}
		return false
	})
	defer close(release)
	// The first attempt outlives Timeout and is retried.
	e := newTestOpenAI(t, OpenAIConfig{URL: srv.URL + "/v1", Timeout: 100 * time.Millisecond})
	if _, err := e.Embed(context.Background(), []string{"x"}); err != nil {
		t.Fatalf("Embed after a timed-out attempt: %v", err)
	}

	// The caller's deadline ends it all, with ctx.Err().
	f.setFail(func(w http.ResponseWriter, _ int) bool { <-release; return true })
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := e.Embed(ctx, []string{"x"})
	if !errors.Is(err, context.DeadlineExceeded) || err != ctx.Err() {
		t.Fatalf("error %v, want ctx.Err()", err)
	}
	if time.Since(start) > 2*time.Second {
		t.Errorf("took %v", time.Since(start))
	}
	cctx, ccancel := context.WithCancel(context.Background())
	ccancel()
	if _, err := e.Embed(cctx, []string{"x"}); err != context.Canceled {
		t.Errorf("cancelled ctx: %v", err)
	}
}

func TestOpenAIBadResponses(t *testing.T) {
	for name, body := range map[string]string{
		"not json":    `<html>`,
		"short":       `{"data":[]}`,
		"bad index":   `{"data":[{"index":5,"embedding":[1]}]}`,
		"empty first": `{"data":[{"index":0,"embedding":[]}]}`,
	} {
		t.Run(name, func(t *testing.T) {
			f, srv := newFakeOpenAI(t, 8)
			f.setFail(func(w http.ResponseWriter, _ int) bool { io.WriteString(w, body); return true })
			e := newTestOpenAI(t, OpenAIConfig{URL: srv.URL + "/v1"})
			if _, err := e.Embed(context.Background(), []string{"x"}); err == nil {
				t.Fatal("no error")
			}
			if f.hits.Load() != 1 {
				t.Errorf("%d requests, want 1", f.hits.Load())
			}
		})
	}
}

func TestOpenAIConfigValidation(t *testing.T) {
	for _, c := range []OpenAIConfig{
		{Model: "m"},
		{URL: "http://x/v1"},
		{URL: "ftp://x/v1", Model: "m"},
		{URL: "http://x/v1", Model: "m", Dim: 3, Dimensions: 4},
		{URL: "http://x/v1", Model: "m", BatchSize: -1},
	} {
		if _, err := NewOpenAI(c); err == nil {
			t.Errorf("NewOpenAI(%+v): no error", c)
		}
	}
}
