package ollama

// Tests against a real `ollama serve` (OLLAMA_BIN; see ollamatest) with synthetic random-weight
// models. Their outputs are random, so these tests assert on the protocol only: dimensions,
// batching, errors, timeouts, retries and token accounting, never on what a text means.

import (
	"context"
	"errors"
	"math"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/memsvc/memsvc/ollama/ollamatest"
	"github.com/memsvc/memsvc/pager"
	"github.com/memsvc/memsvc/state"
)

const (
	realEmbedModel   = "synthetic-bert"    // 64 dimensions
	realEmbedModel32 = "synthetic-bert-32" // 32 dimensions
	realChatModel    = "synthetic-llama"
)

var (
	realOnce sync.Once
	realSrv  *ollamatest.Server
	realErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if realSrv != nil {
		realSrv.Close()
	}
	os.Exit(code)
}

// realServer returns the server shared by this package's tests, started with its synthetic
// models on first use. It skips the test without OLLAMA_BIN (fails with MEMSVC_REQUIRE_OLLAMA=1).
func realServer(t *testing.T) *ollamatest.Server {
	t.Helper()
	bin := ollamatest.Binary(t)
	realOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		start := time.Now()
		realSrv, realErr = ollamatest.New(ctx, ollamatest.Options{Bin: bin})
		if realErr != nil {
			return
		}
		if realErr = realSrv.CreateEmbedModel(ctx, realEmbedModel, ollamatest.BertSpec{Hidden: 64, Seed: 1}); realErr != nil {
			return
		}
		if realErr = realSrv.CreateEmbedModel(ctx, realEmbedModel32, ollamatest.BertSpec{Hidden: 32, Seed: 2}); realErr != nil {
			return
		}
		if realErr = realSrv.CreateChatModel(ctx, realChatModel, ollamatest.LlamaSpec{Seed: 3}); realErr != nil {
			return
		}
		t.Logf("ollama serve at %s with synthetic models, ready in %v", realSrv.URL, time.Since(start).Round(time.Millisecond))
	})
	if realErr != nil {
		t.Fatalf("real Ollama server: %v", realErr)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("ollama serve log (tail):\n%s", realSrv.LogTail(4000))
		}
	})
	return realSrv
}

// counter is an http.RoundTripper that counts requests per path.
type counter struct {
	mu    sync.Mutex
	paths map[string]int
}

func (c *counter) RoundTrip(r *http.Request) (*http.Response, error) {
	c.mu.Lock()
	if c.paths == nil {
		c.paths = map[string]int{}
	}
	c.paths[r.URL.Path]++
	c.mu.Unlock()
	return http.DefaultTransport.RoundTrip(r)
}

func (c *counter) count(path string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.paths[path]
}

func realConfig(srv *ollamatest.Server, model string) (Config, *counter) {
	c := &counter{}
	return Config{URL: srv.URL, Model: model, HTTPClient: &http.Client{Transport: c},
		Backoff: 10 * time.Millisecond, Timeout: time.Minute}, c
}

func TestRealEmbedder(t *testing.T) {
	srv := realServer(t)
	ctx := context.Background()
	cfg, calls := realConfig(srv, realEmbedModel)
	cfg.BatchSize = 3
	e, err := NewEmbedder(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if d, err := e.Probe(ctx); err != nil || d != 64 || e.Dim() != 64 {
		t.Fatalf("Probe = %d, %v; Dim %d; want 64", d, err, e.Dim())
	}
	texts := []string{"the user likes trains", "", "passport X1234567", "ünïcödé ☃ text",
		strings.Repeat("memory agent summary ", 40), "a", "the end."}
	before := calls.count("/api/embed")
	vecs, err := e.Embed(ctx, texts)
	if err != nil {
		t.Fatalf("Embed: %v", err)
	}
	if got := calls.count("/api/embed") - before; got != 3 {
		t.Errorf("%d /api/embed calls for 7 texts in batches of 3, want 3", got)
	}
	if len(vecs) != len(texts) {
		t.Fatalf("%d vectors for %d texts", len(vecs), len(texts))
	}
	for i, v := range vecs {
		if len(v) != 64 {
			t.Fatalf("vector %d has %d dimensions", i, len(v))
		}
		var ss float64
		for _, x := range v {
			if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
				t.Fatalf("vector %d is not finite", i)
			}
			ss += float64(x) * float64(x)
		}
		if math.Abs(math.Sqrt(ss)-1) > 1e-3 {
			t.Errorf("vector %d has norm %v, want 1 (/api/embed normalizes)", i, math.Sqrt(ss))
		}
	}
	// Batching keeps the order: each text alone gives the vector it got in its batch.
	for _, i := range []int{0, 2, 6} {
		one, err := e.Embed(ctx, texts[i:i+1])
		if err != nil {
			t.Fatal(err)
		}
		for j := range one[0] {
			if math.Abs(float64(one[0][j]-vecs[i][j])) > 1e-3 {
				t.Fatalf("text %d: alone and batched vectors differ at %d: %v vs %v", i, j, one[0][j], vecs[i][j])
			}
		}
	}
}

func TestRealEmbedderDimensionCheck(t *testing.T) {
	srv := realServer(t)
	cfg, _ := realConfig(srv, realEmbedModel32)
	e, _ := NewEmbedder(cfg)
	if d, err := e.Probe(context.Background()); err != nil || d != 32 {
		t.Fatalf("Probe = %d, %v; want 32", d, err)
	}
	// A store made with the 64-dimensional model cannot take this one's vectors.
	cfg.Dim = 64
	e, _ = NewEmbedder(cfg)
	_, err := e.Probe(context.Background())
	if !errors.Is(err, ErrDimension) || !strings.Contains(err.Error(), "32-dimensional") {
		t.Fatalf("Probe with Dim 64: %v, want ErrDimension", err)
	}
}

func TestRealModelNotFound(t *testing.T) {
	srv := realServer(t)
	cfg, calls := realConfig(srv, "no-such-model")
	e, _ := NewEmbedder(cfg)
	_, err := e.Probe(context.Background())
	var mnf *ModelNotFoundError
	if !errors.As(err, &mnf) || !errors.Is(err, ErrModelNotFound) {
		t.Fatalf("Probe: %v, want a ModelNotFoundError", err)
	}
	if msg := err.Error(); !strings.Contains(msg, "run `ollama pull no-such-model`") || !strings.Contains(msg, srv.URL) {
		t.Errorf("message %q", msg)
	}
	if n := calls.count("/api/embed"); n != 1 {
		t.Errorf("%d calls, want 1: a 404 is not retried", n)
	}
	s, _ := NewSummarizer(cfg)
	if err := s.Probe(context.Background()); !errors.Is(err, ErrModelNotFound) {
		t.Errorf("Summarizer.Probe: %v", err)
	}
	if _, err := s.Summarize(context.Background(), pager.SummaryInput{
		Messages: []state.Message{{Role: "user", Content: "hi"}}, MaxTokens: 10, Count: words}); !errors.Is(err, ErrModelNotFound) {
		t.Errorf("Summarize: %v", err)
	}
}

// TestRealRetries puts a proxy in front of the real server that fails the first requests with
// 503, as a busy Ollama does.
func TestRealRetries(t *testing.T) {
	srv := realServer(t)
	target, _ := url.Parse(srv.URL)
	proxy := httputil.NewSingleHostReverseProxy(target)
	var hits atomic.Int32
	var failFirst atomic.Int32
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hits.Add(1) <= failFirst.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			w.Write([]byte(`{"error":"server busy, please try again.  maximum pending requests exceeded"}`))
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	defer front.Close()

	failFirst.Store(2)
	cfg := Config{URL: front.URL, Model: realEmbedModel, Retries: 2, Backoff: 10 * time.Millisecond}
	e, _ := NewEmbedder(cfg)
	if _, err := e.Embed(context.Background(), []string{"x", "y"}); err != nil {
		t.Fatalf("Embed through two 503s: %v", err)
	}
	if hits.Load() != 3 {
		t.Errorf("%d requests, want 3", hits.Load())
	}

	hits.Store(0)
	failFirst.Store(100)
	_, err := e.Embed(context.Background(), []string{"x"})
	if !errors.Is(err, ErrUnavailable) || hits.Load() != 3 {
		t.Errorf("Embed through 503s only: %v after %d requests; want ErrUnavailable after 3", err, hits.Load())
	}
}

func TestRealServerDown(t *testing.T) {
	// A real server, stopped: nothing listens on its port any more.
	down, err := ollamatest.New(context.Background(), ollamatest.Options{Bin: ollamatest.Binary(t)})
	if err != nil {
		t.Fatal(err)
	}
	down.Close()
	e, _ := NewEmbedder(Config{URL: down.URL, Model: realEmbedModel, Retries: 1, Backoff: 10 * time.Millisecond})
	_, err = e.Probe(context.Background())
	if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "is `ollama serve` running?") {
		t.Fatalf("Probe: %v", err)
	}
}

func realSpan() []state.Message {
	return []state.Message{
		{Role: "user", Content: "I am planning a trip to Lisbon in May."},
		{Role: "assistant", Content: "Great, what dates?"},
		{Role: "user", Content: "My passport number is X1234567.", Pinned: true},
		{Role: "user", Content: "Book the 9:15 train."},
	}
}

func TestRealSummarizer(t *testing.T) {
	srv := realServer(t)
	cfg, calls := realConfig(srv, realChatModel)
	s, err := NewSummarizer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Probe(context.Background()); err != nil {
		t.Fatalf("Probe: %v", err)
	}
	const max = 40
	in := pager.SummaryInput{Previous: "The user likes trains.\n[pinned] user: I am allergic to peanuts.",
		Messages: realSpan(), MaxTokens: max, Count: words}
	text, usage, err := s.SummarizeMetered(context.Background(), in)
	if err != nil {
		t.Fatalf("SummarizeMetered: %v", err)
	}
	if calls.count("/api/chat") != 1 {
		t.Errorf("%d /api/chat calls, want 1", calls.count("/api/chat"))
	}
	// Token accounting: the server read the prompt and wrote at most num_predict tokens.
	if usage.TokensIn <= 0 || usage.TokensOut <= 0 || usage.TokensOut > max {
		t.Errorf("usage %+v: want TokensIn > 0 and 0 < TokensOut ≤ %d", usage, max)
	}
	// Whatever the random model wrote, the pinned facts are there verbatim and the budget holds.
	for _, p := range []string{"My passport number is X1234567.", "I am allergic to peanuts."} {
		if !strings.Contains(text, p) {
			t.Errorf("summary lacks pinned %q:\n%s", p, text)
		}
	}
	if words(text) > max {
		t.Errorf("summary has %d tokens, want ≤ %d", words(text), max)
	}
	t.Logf("usage %+v, summary %q", usage, text)
}

func TestRealSummarizerTimeouts(t *testing.T) {
	srv := realServer(t)
	// The random model does not stop by itself (its <|eos|> logit is 0), so a large MaxTokens
	// makes a long generation that only a deadline ends.
	long := pager.SummaryInput{Messages: realSpan(), MaxTokens: 1 << 20}

	cfg, _ := realConfig(srv, realChatModel)
	s, _ := NewSummarizer(cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := s.Summarize(ctx, long)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Summarize past the caller's deadline: %v, want context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("returned after %v", d)
	}

	// Each attempt outlives Config.Timeout: retried, then ErrUnavailable.
	cfg, calls := realConfig(srv, realChatModel)
	cfg.Timeout, cfg.Retries = 300*time.Millisecond, 1
	s, _ = NewSummarizer(cfg)
	_, err = s.Summarize(context.Background(), long)
	if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "Config.Timeout") {
		t.Fatalf("Summarize with a short Timeout: %v", err)
	}
	if n := calls.count("/api/chat"); n != 2 {
		t.Errorf("%d /api/chat calls, want 2 (1 + 1 retry)", n)
	}
	// The server is not left busy: a normal call still works.
	cfg.Timeout = time.Minute
	s, _ = NewSummarizer(cfg)
	if _, err := s.Summarize(context.Background(), pager.SummaryInput{Messages: realSpan(), MaxTokens: 8, Count: words}); err != nil {
		t.Errorf("Summarize afterwards: %v", err)
	}
}

func TestRealChecker(t *testing.T) {
	srv := realServer(t)
	cfg, calls := realConfig(srv, realChatModel)
	// The JSON schema bounds the answer (reason ≤ 200 characters); leave room for it in tokens.
	cfg.Options = map[string]any{"num_predict": 1024}
	c, err := NewChecker(cfg)
	if err != nil {
		t.Fatal(err)
	}
	v, usage, err := c.Check(context.Background(), "alice.city", "Alice lives in Paris.", "Alice moved to Rome.")
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	// The random model's verdict means nothing; the format constrained it to a Verdict.
	if v.Confidence < 0 || v.Confidence > 1 || len([]rune(v.Reason)) > 200 {
		t.Errorf("verdict %+v", v)
	}
	if usage.TokensIn <= 0 || usage.TokensOut <= 0 || calls.count("/api/chat") != 1 {
		t.Errorf("usage %+v after %d calls", usage, calls.count("/api/chat"))
	}
	t.Logf("verdict %+v, usage %+v", v, usage)
}
