package embed

import "errors"

// Errors that embedders backed by a model server ([OpenAI], and the Ollama embedder in package
// ollama) return, wrapped with detail. Test for them with errors.Is.
var (
	// ErrModelNotFound means the server does not serve the configured model.
	ErrModelNotFound = errors.New("model not found")
	// ErrUnavailable means the server could not be reached, or kept failing with transient errors
	// (connection refused, 5xx, 429, per-attempt timeouts), after the configured retries.
	ErrUnavailable = errors.New("model server unavailable")
	// ErrDimension means the model returned vectors of another length than expected: the
	// configured dimension (the store's), or the one learned from the first answer.
	ErrDimension = errors.New("unexpected embedding dimension")
)
