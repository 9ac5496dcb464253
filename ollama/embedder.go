package ollama

import (
	"context"
	"fmt"
	"sync"

	"github.com/ollama/ollama/api"

	"github.com/memsvc/memsvc/embed"
)

// Embedder is an embed.Embedder backed by an Ollama embedding model (POST /api/embed).
type Embedder struct {
	cfg    Config
	client *api.Client

	mu  sync.Mutex
	dim int // Config.Dim, or learned from the first answer; 0 until known
}

var _ embed.Embedder = (*Embedder)(nil)

// NewEmbedder returns an Embedder for cfg. It does no I/O; call [Embedder.Probe] at start-up.
func NewEmbedder(cfg Config) (*Embedder, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	return &Embedder{cfg: cfg, client: cfg.client(), dim: cfg.Dim}, nil
}

// Model returns "ollama:" + Config.Model, the name stores record next to each vector.
func (e *Embedder) Model() string { return "ollama:" + e.cfg.Model }

// Dim returns the vector length: Config.Dim if set, else the one learned by Probe or the first
// Embed; 0 before then. Call Probe before handing the Embedder to anything that reads Dim.
func (e *Embedder) Dim() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.dim
}

// Probe embeds one short text, so that the dimension is learned (once; later calls only check
// it) and a server that is down, a missing model or a dimension that differs from Config.Dim
// fails now: ErrUnavailable, a *ModelNotFoundError (ErrModelNotFound) or ErrDimension. It
// returns Dim().
func (e *Embedder) Probe(ctx context.Context) (int, error) {
	if _, err := e.Embed(ctx, []string{"dimension probe"}); err != nil {
		return 0, err
	}
	return e.Dim(), nil
}

// Embed returns one vector per text, in input order, sending at most Config.BatchSize texts per
// call. No texts, no call. It returns ctx.Err() once ctx is done, or an error matching
// ErrModelNotFound, ErrUnavailable or ErrDimension, or another for a rejected request.
func (e *Embedder) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := make([][]float32, 0, len(texts))
	for start := 0; start < len(texts); start += e.cfg.BatchSize {
		batch := texts[start:min(start+e.cfg.BatchSize, len(texts))]
		var resp *api.EmbedResponse
		err := e.cfg.call(ctx, "embed", func(ctx context.Context) error {
			var err error
			resp, err = e.client.Embed(ctx, &api.EmbedRequest{
				Model: e.cfg.Model, Input: batch, KeepAlive: e.cfg.keepAlive(), Options: e.cfg.Options,
			})
			return err
		})
		if err != nil {
			return nil, err
		}
		if len(resp.Embeddings) != len(batch) {
			return nil, fmt.Errorf("ollama: embed with model %q returned %d vectors for %d texts",
				e.cfg.Model, len(resp.Embeddings), len(batch))
		}
		if err := e.checkDim(resp.Embeddings); err != nil {
			return nil, err
		}
		out = append(out, resp.Embeddings...)
	}
	return out, nil
}

// checkDim checks every vector's length, learning the dimension if it is not known yet.
func (e *Embedder) checkDim(vecs [][]float32) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, v := range vecs {
		if e.dim == 0 {
			if len(v) == 0 {
				return fmt.Errorf("ollama: model %q returned an empty vector (is it an embedding model?): %w",
					e.cfg.Model, ErrDimension)
			}
			e.dim = len(v)
		}
		if len(v) != e.dim {
			return fmt.Errorf("ollama: model %q returns %d-dimensional vectors, but %d are expected (the store's, or the first answer's): %w",
				e.cfg.Model, len(v), e.dim, ErrDimension)
		}
	}
	return nil
}
