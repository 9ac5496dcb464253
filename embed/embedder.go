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
