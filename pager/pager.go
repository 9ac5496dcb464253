// Package pager manages an agent's main context the way an OS manages RAM: the system prompt, the
// rendered core memory blocks, a running summary and a FIFO of recent messages, within a token
// budget. When the context crosses warn_ratio it places one memory-pressure warning; when it reaches
// flush_ratio it evicts the oldest messages into recall storage (searchable at once) and, in the
// same step, queues a compaction: a background job (package compaction) folds them into a
// recursive summary (Fold) and pages that summary out to archival memory (ArchiveSummary). The
// summary's budget stays reserved in the paging rule, so a summary landing later never makes the
// context exceed its window.
//
// Service is the memory domain that the HTTP API serves: agents, blocks, messages, archival and
// recall search, and the memory tools (the agent's page faults). Every paging step is one atomic
// state.Store.Page call; archival writes go through an outbox, so a crash leaves either the state
// before or after a step, never a lost message or a lost summary.
package pager

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/memsvc/memsvc/archival"
	"github.com/memsvc/memsvc/state"
	"github.com/memsvc/memsvc/validity"
)

// Kinds of domain error. The API maps each to one HTTP status (see api/errors.go).
var (
	ErrInvalidArgument = errors.New("invalid argument")  // 400
	ErrNotFound        = errors.New("not found")         // 404
	ErrReadOnly        = errors.New("permission denied") // 403
	ErrTooLarge        = errors.New("too large")         // 413
	ErrUnprocessable   = errors.New("unprocessable")     // 422
	ErrConflict        = errors.New("conflict")          // 409
)

// Error is a domain error whose message is safe to show to the caller.
type Error struct {
	Kind error
	Msg  string
}

func (e *Error) Error() string { return e.Msg }
func (e *Error) Unwrap() error { return e.Kind }

func errorf(kind error, format string, args ...any) error {
	return &Error{Kind: kind, Msg: fmt.Sprintf(format, args...)}
}

// checkText refuses text no store can keep alike: invalid UTF-8, or NUL bytes (PostgreSQL
// rejects them in text).
func checkText(field, s string) error {
	if !utf8.ValidString(s) {
		return errorf(ErrInvalidArgument, "%s is not valid UTF-8", field)
	}
	if strings.IndexByte(s, 0) >= 0 {
		return errorf(ErrInvalidArgument, "%s contains a NUL byte", field)
	}
	return nil
}

// Embedder is what the pager needs of package embed.
type Embedder interface {
	Embed(ctx context.Context, texts []string) ([][]float32, error)
	Dim() int
	Model() string
}

// Config configures a Service. Store, Archival and Embedder are required.
type Config struct {
	Store      state.Store
	Archival   archival.Store
	Embedder   Embedder
	Summarizer Summarizer // default: Extractive
	Logger     *slog.Logger
	Now        func() time.Time
	// OnEvent, when set, is called after each committed paging event (for metrics).
	OnEvent func(agentID string, e Event)
	// Scoring is the retrieval scorer's policy; default validity.Default.
	Scoring validity.Config
	// EmbedInterval is how often the background worker embeds new messages (in batches, off the
	// request path) and retries the summary outbox. Default 250ms.
	EmbedInterval time.Duration
	// EmbedShare is the share of its time the background worker may spend embedding messages,
	// from 0 to 1 (default 0.5): after each batch it rests (1-EmbedShare)/EmbedShare times as long
	// as the batch took, so that a neural embedder working through a backlog leaves the requests
	// CPU. Messages not yet embedded are found by their words meanwhile.
	EmbedShare float64
}

func (c *Config) validate() error {
	if c.Store == nil || c.Archival == nil || c.Embedder == nil {
		return errors.New("pager: Store, Archival and Embedder are required")
	}
	if c.Embedder.Dim() != c.Archival.Dim() {
		return fmt.Errorf("pager: embedder %s has dimension %d but the archival store has %d",
			c.Embedder.Model(), c.Embedder.Dim(), c.Archival.Dim())
	}
	if c.Summarizer == nil {
		c.Summarizer = Extractive{}
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Scoring == (validity.Config{}) {
		c.Scoring = validity.Default
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.EmbedInterval <= 0 {
		c.EmbedInterval = 250 * time.Millisecond
	}
	if c.EmbedShare <= 0 {
		c.EmbedShare = 0.5
	}
	if c.EmbedShare > 1 {
		return errors.New("pager: EmbedShare must be at most 1")
	}
	return nil
}

// Service is the memory domain. Create it with New, run its background work with Start, and stop
// it with Stop.
type Service struct {
	cfg    Config
	tokens *Tokenizers
	attrs  attributeCache
	// models holds each agent's model as last seen (agent ID -> string), so that Append counts
	// tokens before it takes the agent's lock without reading the agent first; a step that finds
	// another model counts again.
	models sync.Map
	// embedAfter is the agent whose messages the embedder's last batch ended with: the next
	// batch begins after it (UnembeddedMessages), so that agents take turns.
	embedAfter struct {
		sync.Mutex
		agent string
	}

	mu     sync.Mutex
	cancel context.CancelFunc
	done   chan struct{}
}

// New checks cfg and returns a Service. It does not start background work.
func New(cfg Config) (*Service, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	return &Service{cfg: cfg, tokens: NewTokenizers()}, nil
}

// Tokenizers returns the service's token counters, shared with callers that count tokens too.
func (s *Service) Tokenizers() *Tokenizers { return s.tokens }

func (s *Service) now() time.Time { return s.cfg.Now().UTC() }

// agentErr turns a store's not-found into a domain error naming the agent.
func agentErr(agentID string, err error) error {
	if errors.Is(err, state.ErrNotFound) {
		return errorf(ErrNotFound, "agent %s does not exist", agentID)
	}
	return err
}
