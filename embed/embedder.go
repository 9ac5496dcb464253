package embed

import "context"

// Embedder turns texts into vectors. Implementations are safe for
// concurrent use.
type Embedder interface {
	// Embed returns one vector per text, in input order, each of length
	// Dim(). On error it returns a nil slice; if ctx is cancelled it
	// returns ctx.Err().
	Embed(ctx context.Context, texts []string) ([][]float32, error)
	// Dim is the length of every vector returned by Embed.
	Dim() int
	// Model is a stable name recorded in the store next to each vector,
	// e.g. "builtin-glove6b-100d-int8". Vectors from different models are
	// not comparable.
	Model() string
}

type workersKey struct{}

// WithWorkers returns a context under which an embedder that spreads one call's texts over
// goroutines (USE-lite spreads its batches over GOMAXPROCS) uses at most n of them: background
// work embeds under it so that requests keep a core. n < 1 means no limit.
func WithWorkers(ctx context.Context, n int) context.Context {
	return context.WithValue(ctx, workersKey{}, n)
}

// Workers returns the limit WithWorkers set on ctx, or 0 for none.
func Workers(ctx context.Context) int {
	n, _ := ctx.Value(workersKey{}).(int)
	return max(n, 0)
}
