package ollama

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/ollama/ollama/api"

	"github.com/memsvc/memsvc/retry"
)

// DefaultURL is where `ollama serve` listens by default.
const DefaultURL = "http://127.0.0.1:11434"

// Config configures an [Embedder] or a [Summarizer]. Model is required; zero values elsewhere
// take the defaults given. Fields marked "Embedder" or "Summarizer" apply to that type only.
type Config struct {
	// URL is the server's base URL. Default [DefaultURL].
	URL string
	// Model is the model name as the server knows it, e.g. "nomic-embed-text" or "llama3.2:3b".
	Model string
	// BatchSize (Embedder) is the most texts sent in one /api/embed call. Default 32.
	BatchSize int
	// Dim (Embedder) is the vector length the store holds. If set, Probe and Embed fail with
	// ErrDimension when the model's differs, and Dim() returns it before any call. If zero, the
	// length is learned from the first answer.
	Dim int
	// Timeout bounds each attempt; the caller's ctx bounds them all. Loading a model into memory
	// counts, so leave room for it. Default 2m.
	Timeout time.Duration
	// Retries is how many times a transient failure is retried. Default 3; negative: never.
	Retries int
	// Backoff is the delay before the first retry; it doubles at each retry, up to 30 times it,
	// with ±20% jitter. Default 250ms.
	Backoff time.Duration
	// KeepAlive, if set, is how long the server keeps the model loaded after a call (its default
	// is 5m); negative keeps it loaded.
	KeepAlive time.Duration
	// Options are model options sent with every call ("num_ctx", "temperature", "seed", …). The
	// Summarizer sets "num_predict" from MaxTokens and defaults "temperature" to 0.
	Options map[string]any
	// HTTPClient sends the requests. Default: a client with no timeout of its own.
	HTTPClient *http.Client
	// Logger gets a warning per retry. Default: discard.
	Logger *slog.Logger
}

func (c *Config) validate() error {
	if c.Model == "" {
		return errors.New("ollama: Model is required")
	}
	if c.URL == "" {
		c.URL = DefaultURL
	}
	c.URL = strings.TrimRight(c.URL, "/")
	u, err := url.Parse(c.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("ollama: URL %q: want http://host:port", c.URL)
	}
	if c.BatchSize < 0 || c.Dim < 0 || c.Timeout < 0 || c.Backoff < 0 {
		return errors.New("ollama: BatchSize, Dim, Timeout and Backoff must not be negative")
	}
	if c.BatchSize == 0 {
		c.BatchSize = 32
	}
	if c.Timeout == 0 {
		c.Timeout = 2 * time.Minute
	}
	c.Retries, c.Backoff = retry.Normalize(c.Retries, c.Backoff)
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{}
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return nil
}

// client returns an api.Client for the validated config.
func (c *Config) client() *api.Client {
	u, _ := url.Parse(c.URL) // checked by validate
	return api.NewClient(u, c.HTTPClient)
}

// keepAlive returns the KeepAlive to send, or nil for the server's default.
func (c *Config) keepAlive() *api.Duration {
	if c.KeepAlive == 0 {
		return nil
	}
	return &api.Duration{Duration: c.KeepAlive}
}
