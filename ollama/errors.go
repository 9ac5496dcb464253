package ollama

import (
	"fmt"

	"github.com/memsvc/memsvc/embed"
)

// Errors this package returns, wrapped with detail; test with errors.Is. They are embed's
// sentinels, so callers can test any embedder's errors alike.
var (
	// ErrModelNotFound: the server does not have the configured model.
	ErrModelNotFound = embed.ErrModelNotFound
	// ErrUnavailable: the server could not be reached, or kept failing with transient errors,
	// after the retries.
	ErrUnavailable = embed.ErrUnavailable
	// ErrDimension: the embedding model's vectors have another length than expected.
	ErrDimension = embed.ErrDimension
)

// ModelNotFoundError is the error for a model the server does not have. It matches
// [ErrModelNotFound].
type ModelNotFoundError struct {
	Model string // the configured model
	URL   string // the server's URL
	Msg   string // what the server said
}

func (e *ModelNotFoundError) Error() string {
	return fmt.Sprintf("ollama: model %q not found on the Ollama server at %s: run `ollama pull %s` (server said: %s)",
		e.Model, e.URL, e.Model, e.Msg)
}

// Unwrap returns [ErrModelNotFound].
func (e *ModelNotFoundError) Unwrap() error { return ErrModelNotFound }
