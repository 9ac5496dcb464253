// Package ollama is memsvc's Ollama backend: an [Embedder] (embed.Embedder over POST /api/embed)
// and a [Summarizer] (pager.Summarizer over POST /api/chat), both through
// github.com/ollama/ollama/api.
//
// # Contract
//
// Constructors do no I/O. Call Probe at start-up: it fails early, with a message that says what
// to do, when the server is down (errors.Is(err, [ErrUnavailable])) or does not have the model
// (errors.Is(err, [ErrModelNotFound]); "run `ollama pull X`"), and [Embedder.Probe] also learns
// the vector dimension and checks it against [Config.Dim], the store's ([ErrDimension]).
//
// Every call is bounded by its ctx and each attempt by [Config.Timeout]. Transient failures
// (connection refused or reset, 5xx, 429, an attempt's timeout) are retried [Config.Retries]
// times with exponential backoff; other 4xx answers are not. Once the caller's ctx is done a
// method returns ctx.Err() itself. Both types are safe for concurrent use.
//
// The [Summarizer] folds the previous summary and the evicted messages into a new summary. It
// tells the model to copy pinned messages verbatim and, since a model may drop them anyway,
// appends each pinned message that the output lacks. It asks for at most MaxTokens tokens
// (num_predict) and truncates to MaxTokens by the caller's Count. [Summarizer.SummarizeMetered]
// also reports the tokens the model read and wrote, for budgets and metrics.
//
// Package ollama/ollamatest starts a real `ollama serve` with synthetic random-weight models for
// the integration tests.
package ollama
