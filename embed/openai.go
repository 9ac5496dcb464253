package embed

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/memsvc/memsvc/retry"
)

// OpenAIConfig configures [OpenAI]. URL and Model are required; zero values elsewhere take the
// defaults given.
type OpenAIConfig struct {
	// URL is the API base up to and including the version, e.g. http://127.0.0.1:8000/v1
	// (vLLM), http://127.0.0.1:8080/v1 (TEI) or https://api.openai.com/v1. Requests go to
	// URL + "/embeddings".
	URL string
	// Model is sent as "model" in every request.
	Model string
	// APIKey, if set, is sent as "Authorization: Bearer <APIKey>".
	APIKey string
	// Dimensions, if positive, is sent as "dimensions", for models that can shorten their
	// vectors (OpenAI's text-embedding-3-*). It then also becomes the expected Dim.
	Dimensions int
	// Dim is the vector length the caller expects (the store's). If zero, the length is learned
	// from the first answer (or from Probe). Either way, a vector of another length is an
	// ErrDimension error.
	Dim int
	// Name is what Model() returns, the name recorded in the store next to each vector. Default:
	// "openai:" + Model, plus "@<Dimensions>" when Dimensions is set.
	Name string
	// BatchSize is the most texts sent in one request. Default 64.
	BatchSize int
	// Timeout bounds each attempt (the caller's ctx bounds them all). Default 60s.
	Timeout time.Duration
	// Retries is how many times a transient failure (connection error, 408, 429, 5xx or an
	// attempt's timeout) is retried, with exponential backoff and jitter. Default 3; negative
	// means never. Other 4xx answers are never retried.
	Retries int
	// Backoff is the delay before the first retry; it doubles at each retry, up to 30 times it.
	// A Retry-After header (in seconds) lengthens it, up to 30s. Default 250ms.
	Backoff time.Duration
	// HTTPClient sends the requests. Default: a client with no timeout of its own (ctx and
	// Timeout apply).
	HTTPClient *http.Client
	// Logger gets a warning per retry. Default: discard.
	Logger *slog.Logger
}

func (c *OpenAIConfig) validate() error {
	if c.URL == "" || c.Model == "" {
		return errors.New("embed: openai: URL and Model are required")
	}
	if !strings.HasPrefix(c.URL, "http://") && !strings.HasPrefix(c.URL, "https://") {
		return fmt.Errorf("embed: openai: URL %q: want http:// or https://", c.URL)
	}
	if c.Dimensions < 0 || c.Dim < 0 || c.BatchSize < 0 || c.Timeout < 0 || c.Backoff < 0 {
		return errors.New("embed: openai: Dimensions, Dim, BatchSize, Timeout and Backoff must not be negative")
	}
	if c.Dimensions > 0 && c.Dim > 0 && c.Dimensions != c.Dim {
		return fmt.Errorf("embed: openai: Dimensions %d differs from Dim %d", c.Dimensions, c.Dim)
	}
	c.URL = strings.TrimRight(c.URL, "/")
	if c.Dim == 0 {
		c.Dim = c.Dimensions
	}
	if c.Name == "" {
		c.Name = "openai:" + c.Model
		if c.Dimensions > 0 {
			c.Name += "@" + strconv.Itoa(c.Dimensions)
		}
	}
	if c.BatchSize == 0 {
		c.BatchSize = 64
	}
	if c.Timeout == 0 {
		c.Timeout = 60 * time.Second
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

// OpenAI is an [Embedder] that calls an OpenAI-compatible POST /embeddings endpoint over plain
// HTTP: vLLM, Hugging Face TEI, llama.cpp's server, Ollama's /v1, or a hosted API. It batches
// texts, checks every vector's length, retries transient failures and is safe for concurrent
// use.
type OpenAI struct {
	cfg OpenAIConfig

	mu  sync.Mutex
	dim int // expected or learned length; 0 until known
}

var _ Embedder = (*OpenAI)(nil)

// NewOpenAI returns an OpenAI embedder. It does no I/O: call [OpenAI.Probe] at start-up to learn
// the dimension and to fail early on a wrong URL, key or model.
func NewOpenAI(cfg OpenAIConfig) (*OpenAI, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	return &OpenAI{cfg: cfg, dim: cfg.Dim}, nil
}

// Model returns OpenAIConfig.Name.
func (e *OpenAI) Model() string { return e.cfg.Name }

// Dim returns the vector length: OpenAIConfig.Dim if set, else the one learned by Probe or the
// first Embed; 0 before then.
func (e *OpenAI) Dim() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.dim
}

// Probe embeds one short text, so that the dimension is known and a wrong URL, key or model
// fails now (ErrModelNotFound, ErrUnavailable, ErrDimension) rather than at the first write. It
// returns Dim().
func (e *OpenAI) Probe(ctx context.Context) (int, error) {
	if _, err := e.Embed(ctx, []string{"dimension probe"}); err != nil {
		return 0, err
	}
	return e.Dim(), nil
}

// Embed returns one vector per text, in input order, sending at most BatchSize texts per
// request. It returns ctx.Err() once ctx is done, ErrModelNotFound, ErrUnavailable or
// ErrDimension (wrapped), or another error for a rejected request.
func (e *OpenAI) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := make([][]float32, 0, len(texts))
	for start := 0; start < len(texts); start += e.cfg.BatchSize {
		batch := texts[start:min(start+e.cfg.BatchSize, len(texts))]
		vecs, err := e.embedBatch(ctx, batch)
		if err != nil {
			return nil, err
		}
		if err := e.checkDim(vecs); err != nil {
			return nil, err
		}
		out = append(out, vecs...)
	}
	return out, nil
}

// checkDim checks that every vector has the expected length, learning it if it is not known.
func (e *OpenAI) checkDim(vecs [][]float32) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, v := range vecs {
		if e.dim == 0 {
			if len(v) == 0 {
				return fmt.Errorf("embed: openai: model %q returned an empty vector: %w", e.cfg.Model, ErrDimension)
			}
			e.dim = len(v)
		}
		if len(v) != e.dim {
			return fmt.Errorf("embed: openai: model %q returned a %d-dimensional vector, want %d: %w",
				e.cfg.Model, len(v), e.dim, ErrDimension)
		}
	}
	return nil
}

type openAIRequest struct {
	Model          string   `json:"model"`
	Input          []string `json:"input"`
	EncodingFormat string   `json:"encoding_format"`
	Dimensions     int      `json:"dimensions,omitempty"`
}

type openAIResponse struct {
	Data []struct {
		Index     int       `json:"index"`
		Embedding []float32 `json:"embedding"`
	} `json:"data"`
}

// httpStatusError is a non-2xx answer.
type httpStatusError struct {
	code       int
	msg        string
	retryAfter time.Duration
	notFound   bool // the body says the model does not exist, whatever the status
}

func (e *httpStatusError) Error() string {
	if e.msg == "" {
		return fmt.Sprintf("HTTP %d", e.code)
	}
	return fmt.Sprintf("HTTP %d: %s", e.code, e.msg)
}

func (e *httpStatusError) transient() bool {
	return e.code == http.StatusRequestTimeout || e.code == http.StatusTooManyRequests || e.code >= 500
}

func (e *OpenAI) embedBatch(ctx context.Context, batch []string) ([][]float32, error) {
	body, err := json.Marshal(openAIRequest{Model: e.cfg.Model, Input: batch, EncodingFormat: "float",
		Dimensions: e.cfg.Dimensions})
	if err != nil {
		return nil, fmt.Errorf("embed: openai: %w", err)
	}
	var resp openAIResponse
	for attempt := 0; ; attempt++ {
		err = e.post(ctx, body, &resp)
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		var se *httpStatusError
		isStatus := errors.As(err, &se)
		switch {
		case isStatus && (se.code == http.StatusNotFound || se.notFound):
			return nil, fmt.Errorf("embed: openai: model %q not found at %s (%v): %w", e.cfg.Model, e.cfg.URL, err, ErrModelNotFound)
		case isStatus && !se.transient():
			return nil, fmt.Errorf("embed: openai: %s/embeddings rejected the request: %w", e.cfg.URL, err)
		case errors.Is(err, errBadResponse):
			return nil, fmt.Errorf("embed: openai: %s/embeddings: %w", e.cfg.URL, err)
		}
		if attempt >= e.cfg.Retries {
			return nil, fmt.Errorf("embed: openai: %s/embeddings failed after %d attempts: %w: %w",
				e.cfg.URL, attempt+1, ErrUnavailable, err)
		}
		wait := retry.Delay(e.cfg.Backoff, attempt)
		if isStatus && se.retryAfter > wait {
			wait = min(se.retryAfter, 30*time.Second)
		}
		e.cfg.Logger.WarnContext(ctx, "embed: openai: retrying", "url", e.cfg.URL, "model", e.cfg.Model,
			"attempt", attempt+1, "wait", wait, "err", err)
		if err := retry.Sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
	if len(resp.Data) != len(batch) {
		return nil, fmt.Errorf("embed: openai: %s/embeddings returned %d vectors for %d texts", e.cfg.URL, len(resp.Data), len(batch))
	}
	vecs := make([][]float32, len(batch))
	for _, d := range resp.Data {
		if d.Index < 0 || d.Index >= len(batch) || vecs[d.Index] != nil {
			return nil, fmt.Errorf("embed: openai: %s/embeddings returned a bad or repeated index %d", e.cfg.URL, d.Index)
		}
		vecs[d.Index] = d.Embedding
		if vecs[d.Index] == nil {
			vecs[d.Index] = []float32{}
		}
	}
	return vecs, nil
}

// errBadResponse marks a 2xx answer that cannot be decoded; it is not retried.
var errBadResponse = errors.New("malformed response")

// post makes one attempt, bounded by Timeout.
func (e *OpenAI) post(ctx context.Context, body []byte, out *openAIResponse) error {
	ctx, cancel := context.WithTimeout(ctx, e.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.cfg.URL+"/embeddings", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	if e.cfg.APIKey != "" {
		req.Header.Set("Authorization", "Bearer "+e.cfg.APIKey)
	}
	resp, err := e.cfg.HTTPClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 256<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return statusError(resp, data)
	}
	*out = openAIResponse{}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("%w: %v", errBadResponse, err)
	}
	return nil
}

// statusError reads the message out of the error bodies that OpenAI ({"error": {"message",
// "code"}}), vLLM ({"message", "code"}) and TEI ({"error": "…"}) send.
func statusError(resp *http.Response, body []byte) error {
	se := &httpStatusError{code: resp.StatusCode}
	if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s > 0 {
		se.retryAfter = time.Duration(s) * time.Second
	}
	var b struct {
		Error   json.RawMessage `json:"error"`
		Message string          `json:"message"`
		Code    any             `json:"code"`
	}
	if json.Unmarshal(body, &b) == nil {
		var nested struct {
			Message string `json:"message"`
			Code    any    `json:"code"`
		}
		var flat string
		switch {
		case json.Unmarshal(b.Error, &nested) == nil && nested.Message != "":
			se.msg, b.Code = nested.Message, nested.Code
		case json.Unmarshal(b.Error, &flat) == nil && flat != "":
			se.msg = flat
		default:
			se.msg = b.Message
		}
		se.notFound = b.Code == "model_not_found"
	}
	if se.msg == "" {
		se.msg = strings.TrimSpace(string(body))
	}
	if len(se.msg) > 300 {
		se.msg = se.msg[:300] + "…"
	}
	return se
}
