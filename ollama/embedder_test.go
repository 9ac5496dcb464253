package ollama

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func newTestEmbedder(t *testing.T, cfg Config) *Embedder {
	t.Helper()
	e, err := NewEmbedder(cfg)
	if err != nil {
		t.Fatalf("NewEmbedder: %v", err)
	}
	return e
}

func TestEmbedderBatching(t *testing.T) {
	f := newFake(t)
	cfg := f.config()
	cfg.BatchSize = 2
	cfg.Options = map[string]any{"num_ctx": 512}
	e := newTestEmbedder(t, cfg)
	if e.Model() != "ollama:fake-model" || e.Dim() != 0 {
		t.Fatalf("Model %q Dim %d", e.Model(), e.Dim())
	}
	texts := []string{"a", "bb", "ccc", "dddd", "eeeee"}
	vecs, err := e.Embed(context.Background(), texts)
	if err != nil {
		t.Fatalf("Embed: %v", err)
	}
	for i, v := range vecs {
		if len(v) != 6 || v[0] != float32(len(texts[i])) {
			t.Errorf("vector %d = %v", i, v)
		}
	}
	var got []string
	for _, b := range f.embedCalls() {
		if b.Model != "fake-model" || b.Options["num_ctx"] != float64(512) {
			t.Errorf("body %+v", b)
		}
		got = append(got, fmt.Sprint(b.Input))
	}
	if strings.Join(got, " ") != "[a bb] [ccc dddd] [eeeee]" {
		t.Errorf("batches %v", got)
	}
	if e.Dim() != 6 {
		t.Errorf("Dim %d after Embed, want 6", e.Dim())
	}
	n := f.hits.Load()
	if vecs, err := e.Embed(context.Background(), nil); err != nil || len(vecs) != 0 || f.hits.Load() != n {
		t.Errorf("Embed(nil) = %v, %v, or it called the server", vecs, err)
	}
}

func TestEmbedderProbeAndDimension(t *testing.T) {
	f := newFake(t)
	e := newTestEmbedder(t, f.config())
	if d, err := e.Probe(context.Background()); err != nil || d != 6 {
		t.Fatalf("Probe = %d, %v", d, err)
	}
	// The store holds 8-dimensional vectors: the model's 6 do not fit.
	cfg := f.config()
	cfg.Dim = 8
	e = newTestEmbedder(t, cfg)
	if e.Dim() != 8 {
		t.Fatalf("Dim before Probe = %d, want Config.Dim", e.Dim())
	}
	_, err := e.Probe(context.Background())
	if !errors.Is(err, ErrDimension) || !strings.Contains(err.Error(), "6-dimensional") {
		t.Fatalf("Probe: %v, want ErrDimension", err)
	}
	// A model whose dimension changes between calls (e.g. replaced on the server) is caught.
	e = newTestEmbedder(t, f.config())
	if _, err := e.Probe(context.Background()); err != nil {
		t.Fatal(err)
	}
	f.setDim(4)
	if _, err := e.Embed(context.Background(), []string{"x"}); !errors.Is(err, ErrDimension) {
		t.Fatalf("Embed after the model changed: %v, want ErrDimension", err)
	}
}

func TestEmbedderModelNotFound(t *testing.T) {
	f := newFake(t)
	f.setFail(notFound)
	e := newTestEmbedder(t, f.config())
	_, err := e.Probe(context.Background())
	var mnf *ModelNotFoundError
	if !errors.Is(err, ErrModelNotFound) || !errors.As(err, &mnf) {
		t.Fatalf("Probe: %v, want a ModelNotFoundError", err)
	}
	want := fmt.Sprintf("model \"fake-model\" not found on the Ollama server at %s: run `ollama pull fake-model`", f.srv.URL)
	if !strings.Contains(err.Error(), want) {
		t.Errorf("message %q lacks %q", err, want)
	}
	if f.hits.Load() != 1 {
		t.Errorf("%d requests, want 1 (no retry)", f.hits.Load())
	}
}

func TestEmbedderNoRetryOn4xx(t *testing.T) {
	f := newFake(t)
	f.setFail(func(w http.ResponseWriter, _ int) bool {
		w.WriteHeader(http.StatusBadRequest)
		w.Write([]byte(`{"error":"invalid input type"}`))
		return true
	})
	cfg := f.config()
	cfg.Retries = 5
	_, err := newTestEmbedder(t, cfg).Embed(context.Background(), []string{"x"})
	if err == nil || errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "invalid input type") {
		t.Fatalf("Embed: %v", err)
	}
	if f.hits.Load() != 1 {
		t.Errorf("%d requests, want 1", f.hits.Load())
	}
}

func TestEmbedderRetries(t *testing.T) {
	f := newFake(t)
	f.setFail(func(w http.ResponseWriter, n int) bool {
		if n > 2 {
			return false
		}
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte(`{"error":"server busy, please try again.  maximum pending requests exceeded"}`))
		return true
	})
	cfg := f.config()
	cfg.Retries = 2
	e := newTestEmbedder(t, cfg)
	if _, err := e.Embed(context.Background(), []string{"x"}); err != nil {
		t.Fatalf("Embed: %v", err)
	}
	if f.hits.Load() != 3 {
		t.Errorf("%d requests, want 3", f.hits.Load())
	}
	f.hits.Store(0)
	f.setFail(func(w http.ResponseWriter, _ int) bool {
		w.WriteHeader(http.StatusInternalServerError)
		w.Write([]byte(`{"error":"llama runner process has terminated"}`))
		return true
	})
	_, err := e.Embed(context.Background(), []string{"x"})
	if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "runner process has terminated") {
		t.Fatalf("Embed: %v, want ErrUnavailable", err)
	}
	if f.hits.Load() != 3 {
		t.Errorf("%d requests, want 3", f.hits.Load())
	}
}

func TestEmbedderServerDown(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	e := newTestEmbedder(t, Config{URL: url, Model: "m", Retries: 2, Backoff: time.Millisecond})
	_, err := e.Probe(context.Background())
	if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "is `ollama serve` running?") ||
		!strings.Contains(err.Error(), "3 attempts") {
		t.Fatalf("Probe: %v", err)
	}
}

func TestEmbedderTimeouts(t *testing.T) {
	f := newFake(t)
	release := make(chan struct{})
	defer close(release)
	f.setFail(func(w http.ResponseWriter, n int) bool {
		if n == 1 {
			<-release
			return true
		}
		return false
	})
	cfg := f.config()
	cfg.Timeout = 100 * time.Millisecond
	e := newTestEmbedder(t, cfg)
	if _, err := e.Embed(context.Background(), []string{"x"}); err != nil {
		t.Fatalf("Embed after a timed-out attempt: %v", err)
	}
	f.setFail(func(w http.ResponseWriter, _ int) bool { <-release; return true })
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel()
	if _, err := e.Embed(ctx, []string{"x"}); err != ctx.Err() || err == nil {
		t.Fatalf("Embed: %v, want ctx.Err()", err)
	}
	// Every attempt times out: ErrUnavailable, naming the timeout.
	cfg.Retries = 1
	e = newTestEmbedder(t, cfg)
	_, err := e.Embed(context.Background(), []string{"x"})
	if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "Config.Timeout") {
		t.Fatalf("Embed: %v", err)
	}
}

func TestConfigValidation(t *testing.T) {
	for _, c := range []Config{
		{},
		{Model: "m", URL: "127.0.0.1:11434"},
		{Model: "m", URL: "ftp://x"},
		{Model: "m", BatchSize: -1},
		{Model: "m", Dim: -1},
	} {
		if _, err := NewEmbedder(c); err == nil {
			t.Errorf("NewEmbedder(%+v): no error", c)
		}
	}
	e, err := NewEmbedder(Config{Model: "m"})
	if err != nil || e.cfg.URL != DefaultURL || e.cfg.BatchSize != 32 || e.cfg.Retries != 3 {
		t.Errorf("defaults: %+v, %v", e.cfg, err)
	}
	if e, _ := NewEmbedder(Config{Model: "m", Retries: -1}); e.cfg.Retries != 0 {
		t.Errorf("Retries -1 gave %d", e.cfg.Retries)
	}
}
