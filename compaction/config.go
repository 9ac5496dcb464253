package compaction

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/memsvc/memsvc/archival"
	"github.com/memsvc/memsvc/pager"
	"github.com/memsvc/memsvc/state"
)

// Store is what compaction needs of the state store: paging steps and compaction records.
type Store interface {
	state.Store
	state.CompactionStore
}

// Queue is what compaction needs of a River client (the riversqlite driver over the embedded
// store's job database, riverpgxv5 over PostgreSQL's).
type Queue interface {
	Insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
	Start(ctx context.Context) error
	Stop(ctx context.Context) error
	StopAndCancel(ctx context.Context) error
}

// Embedder embeds the passages a job writes and the messages it checks for contradictions.
type Embedder interface {
	Embed(ctx context.Context, texts []string) ([][]float32, error)
}

// Budget is each agent's compaction token budget: Tokens (in plus out) per Period, in periods
// aligned on the clock. An agent whose compactions used Tokens in the current period waits for the
// next; a job that starts under budget finishes, so a period may overshoot by one job. Tokens 0
// means unlimited.
type Budget struct {
	Tokens int
	Period time.Duration
}

// Hooks let tests act at points of a job. Nil hooks do nothing.
type Hooks struct {
	// BeforeCommit runs once the summary is made, before it is committed.
	BeforeCommit func(c state.Compaction, sum *state.Summary)
	// AfterCommit runs once the summary is committed, before it is archived.
	AfterCommit func(c state.Compaction, sum *state.Summary)
}

// Config configures a Service. Pager, Store, Archival, Embedder and NewQueue are required.
type Config struct {
	Pager    *pager.Service
	Store    Store
	Archival archival.Store
	Embedder Embedder
	// NewQueue makes the River client, configured with compaction's workers (stores.NewJobQueue).
	NewQueue func(cfg *river.Config) (Queue, error)
	Logger   *slog.Logger
	Now      func() time.Time
	// Registerer receives the compaction metrics; nil registers none.
	Registerer prometheus.Registerer
	// OnEvent, when set, is called with a "summarized" event after each summary a job commits.
	OnEvent func(agentID string, e pager.Event)

	// Workers bounds the jobs this process runs at once, and the compactions the scheduler keeps
	// handed out at once across replicas (default 2).
	Workers int
	// PollInterval is how often the scheduler runs without being woken, and how often River polls
	// for jobs (default 1s).
	PollInterval time.Duration
	// CPUShare is the share of its time each worker may spend on jobs, from 0 to 1 (default
	// 0.25): after a job it rests (1-CPUShare)/CPUShare times as long as the job took, so that a
	// backlog drains beside the requests rather than ahead of them. 1 runs jobs back to back.
	CPUShare float64
	// FetchInterval is how often the job queue's workers look for a job handed out to them
	// (default 50ms): a poll of one indexed table, and the most a handed-out compaction waits.
	FetchInterval time.Duration
	// Lease is how long a job may go without renewing its claim before its compaction is handed
	// out again (default 30s); a job renews it every Lease/3.
	Lease time.Duration
	// JobTimeout bounds one attempt (default 10m).
	JobTimeout time.Duration
	// MaxAttempts is how many times a compaction is attempted before it fails (default 5).
	MaxAttempts int
	// Backoff is the wait before retry n (n from 1); default 2s·4^(n-1), at most 10m.
	Backoff func(attempt int) time.Duration
	// Budget is each agent's token budget per period (default 200,000 tokens an hour).
	Budget Budget
	// SleeperCredit is how far below the scheduler's floor (in tokens of virtual time) an agent
	// that was idle may start, so that waking up gives it a head start but not a monopoly
	// (default 4096).
	SleeperCredit float64
	// RetentionRetries is how many times a summary that drops a pinned fact is made again before
	// the missing facts are written to archival verbatim (default 2).
	RetentionRetries int
	// MaxFoldTokens bounds the message tokens of one summarizer call; a longer span is folded in
	// chunks (default 8192).
	MaxFoldTokens int
	// Contradictor, when set, checks evicted messages against older passages (see Contradictor).
	Contradictor Contradictor
	// MinConfidence is the least confidence of a contradiction that marks a passage possibly
	// superseded (default 0.6).
	MinConfidence float64
	// MaxChecks bounds the contradiction checks of one job (default 8).
	MaxChecks int
	Hooks     Hooks
}

func (c *Config) validate() error {
	if c.Pager == nil || c.Store == nil || c.Archival == nil || c.Embedder == nil || c.NewQueue == nil {
		return errors.New("compaction: Pager, Store, Archival, Embedder and NewQueue are required")
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Workers <= 0 {
		c.Workers = 2
	}
	if c.PollInterval <= 0 {
		c.PollInterval = time.Second
	}
	if c.CPUShare <= 0 {
		c.CPUShare = 0.25
	}
	if c.CPUShare > 1 {
		return errors.New("compaction: CPUShare must be at most 1")
	}
	if c.FetchInterval <= 0 {
		c.FetchInterval = 50 * time.Millisecond
	}
	if c.Lease <= 0 {
		c.Lease = 30 * time.Second
	}
	if c.JobTimeout <= 0 {
		c.JobTimeout = 10 * time.Minute
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = 5
	}
	if c.Backoff == nil {
		c.Backoff = DefaultBackoff
	}
	if c.Budget == (Budget{}) {
		c.Budget = Budget{Tokens: 200_000, Period: time.Hour}
	}
	if c.Budget.Tokens < 0 || c.Budget.Tokens > 0 && c.Budget.Period <= 0 {
		return errors.New("compaction: a token budget needs a positive period")
	}
	if c.SleeperCredit <= 0 {
		c.SleeperCredit = 4096
	}
	if c.RetentionRetries < 0 {
		return errors.New("compaction: RetentionRetries is negative")
	}
	if c.RetentionRetries == 0 {
		c.RetentionRetries = 2
	}
	if c.MaxFoldTokens <= 0 {
		c.MaxFoldTokens = 8192
	}
	if c.MinConfidence <= 0 {
		c.MinConfidence = 0.6
	}
	if c.MaxChecks <= 0 {
		c.MaxChecks = 8
	}
	return nil
}

// DefaultBackoff waits 2s·4^(n-1) before retry n, at most 10 minutes.
func DefaultBackoff(attempt int) time.Duration {
	d := 2 * time.Second
	for i := 1; i < attempt && d < 10*time.Minute; i++ {
		d *= 4
	}
	return min(d, 10*time.Minute)
}
