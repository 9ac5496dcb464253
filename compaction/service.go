package compaction

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/memsvc/memsvc/pager"
	"github.com/memsvc/memsvc/state"
)

// queueName is the River queue compaction jobs run on.
const queueName = "compaction"

// Service runs compactions: the scheduler and the job queue's workers. Create it with New, run it
// with Start and drain it with Stop.
type Service struct {
	cfg     Config
	queue   Queue
	metrics *metrics

	wake chan struct{}

	mu     sync.Mutex
	cancel context.CancelFunc
	done   chan struct{}
}

// New checks cfg and makes the job queue (it does not start it).
func New(cfg Config) (*Service, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	s := &Service{cfg: cfg, wake: make(chan struct{}, 1), metrics: newMetrics(cfg.Registerer)}
	workers := river.NewWorkers()
	if err := river.AddWorkerSafely(workers, &worker{s: s}); err != nil {
		return nil, fmt.Errorf("compaction: %w", err)
	}
	q, err := cfg.NewQueue(&river.Config{
		Queues:               map[string]river.QueueConfig{queueName: {MaxWorkers: cfg.Workers}},
		Workers:              workers,
		Logger:               cfg.Logger,
		JobTimeout:           cfg.JobTimeout,
		RescueStuckJobsAfter: cfg.JobTimeout + cfg.Lease + time.Minute,
		MaxAttempts:          cfg.MaxAttempts,
		RetryPolicy:          retryPolicy{s.cfg.Backoff},
		// The scheduler hands out at most Workers compactions at once and the next only when one
		// finishes, so the queue's workers must pick a handed-out job up promptly: on the embedded
		// store River has no notifications and finds jobs only by polling, and a one-second poll
		// drained a backlog at about one compaction a second whatever the CPU (see FetchInterval).
		FetchPollInterval: min(cfg.PollInterval, cfg.FetchInterval),
		FetchCooldown:     min(cfg.PollInterval, cfg.FetchInterval, 25*time.Millisecond),
	})
	if err != nil {
		return nil, fmt.Errorf("compaction: job queue: %w", err)
	}
	s.queue = q
	return s, nil
}

func (s *Service) now() time.Time { return s.cfg.Now().UTC() }

// Start starts the job queue's workers and the scheduler, until Stop.
func (s *Service) Start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cancel != nil {
		return errors.New("compaction: already started")
	}
	if err := s.queue.Start(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("compaction: start job queue: %w", err)
	}
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s.cancel, s.done = cancel, make(chan struct{})
	go s.run(ctx)
	return nil
}

// Stop stops the scheduler, then drains the workers: it waits for running jobs to finish, and
// when ctx ends first cancels them (they are retried after a restart) and waits for them to
// return.
func (s *Service) Stop(ctx context.Context) error {
	s.mu.Lock()
	cancel, done := s.cancel, s.done
	s.cancel = nil
	s.mu.Unlock()
	if cancel == nil {
		return nil
	}
	cancel()
	<-done
	err := s.queue.Stop(ctx)
	if err != nil && ctx.Err() != nil {
		hard, stop := context.WithTimeout(context.Background(), 10*time.Second)
		defer stop()
		return errors.Join(err, s.queue.StopAndCancel(hard))
	}
	return err
}

// Wake makes the scheduler run now (the pager queued a compaction, a job finished).
func (s *Service) Wake() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func (s *Service) run(ctx context.Context) {
	defer close(s.done)
	t := time.NewTicker(s.cfg.PollInterval)
	defer t.Stop()
	for {
		if _, err := s.Tick(ctx); err != nil && ctx.Err() == nil {
			s.cfg.Logger.Warn("compaction scheduler", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.wake:
		}
	}
}

// Request queues a compaction of an agent on demand (see pager.Service.Compact) and returns it.
func (s *Service) Request(ctx context.Context, agentID string) (Job, error) {
	c, err := s.cfg.Pager.Compact(ctx, agentID)
	if err != nil {
		return Job{}, err
	}
	s.Wake()
	return jobOf(c), nil
}

// Job returns a compaction. An unknown one, or one of an agent the caller cannot see (another
// tenant's), is a pager.ErrNotFound error.
func (s *Service) Job(ctx context.Context, id string) (Job, error) {
	notFound := &pager.Error{Kind: pager.ErrNotFound, Msg: "compaction " + id + " does not exist"}
	c, err := s.cfg.Store.GetCompaction(ctx, id)
	if errors.Is(err, state.ErrNotFound) {
		return Job{}, notFound
	} else if err != nil {
		return Job{}, err
	}
	if _, err := s.cfg.Store.GetAgent(ctx, c.AgentID); errors.Is(err, state.ErrNotFound) {
		return Job{}, notFound
	} else if err != nil {
		return Job{}, err
	}
	return jobOf(c), nil
}

// Jobs returns an agent's compactions, oldest first, at most limit. An agent the caller cannot
// see (another tenant's) is a pager.ErrNotFound error: it reads only what ctx may.
func (s *Service) Jobs(ctx context.Context, agentID string, limit int) ([]Job, error) {
	if _, err := s.cfg.Store.GetAgent(ctx, agentID); errors.Is(err, state.ErrNotFound) {
		return nil, &pager.Error{Kind: pager.ErrNotFound, Msg: "agent " + agentID + " does not exist"}
	} else if err != nil {
		return nil, err
	}
	cs, err := s.cfg.Store.ListCompactions(ctx, agentID, limit)
	if err != nil {
		return nil, err
	}
	out := make([]Job, len(cs))
	for i, c := range cs {
		out[i] = jobOf(c)
	}
	return out, nil
}

// Job is a compaction as the API reports it (GET /v1/compactions/{job_id}).
type Job struct {
	ID      string `json:"id"`
	AgentID string `json:"agent_id"`
	// Status is queued (waiting for the scheduler, the job queue or a retry), running,
	// succeeded or failed.
	Status     string `json:"status"`
	Reason     string `json:"reason"`
	FromSeq    int64  `json:"from_seq"`
	ThroughSeq int64  `json:"through_seq"`
	SummaryID  string `json:"summary_id"`
	CoveredBy  string `json:"covered_by,omitempty"`
	TokensIn   int    `json:"tokens_in"`
	TokensOut  int    `json:"tokens_out"`
	// Retention is the share of the pinned messages' facts the summary or archival kept, before
	// the missing ones were written to archival verbatim (MissingFacts); null until it ran.
	Retention    *float64   `json:"retention"`
	MissingFacts []string   `json:"missing_facts"`
	Attempts     int        `json:"attempts"`
	Error        string     `json:"error"`
	CreatedAt    time.Time  `json:"created_at"`
	StartedAt    *time.Time `json:"started_at"`
	FinishedAt   *time.Time `json:"finished_at"`
}

func jobOf(c state.Compaction) Job {
	missing := c.MissingFacts
	if missing == nil {
		missing = []string{}
	}
	return Job{ID: c.ID, AgentID: c.AgentID, Status: c.Status, Reason: c.Reason, FromSeq: c.FromSeq, ThroughSeq: c.ThroughSeq,
		SummaryID: c.SummaryID, CoveredBy: c.CoveredBy, TokensIn: c.TokensIn, TokensOut: c.TokensOut, Retention: c.Retention,
		MissingFacts: missing, Attempts: c.Attempts, Error: c.Error, CreatedAt: c.CreatedAt, StartedAt: c.StartedAt,
		FinishedAt: c.FinishedAt}
}

// retryPolicy schedules River's retries with Config.Backoff.
type retryPolicy struct{ backoff func(int) time.Duration }

func (p retryPolicy) NextRetry(job *rivertype.JobRow) time.Time {
	return time.Now().Add(p.backoff(max(job.Attempt, 1)))
}
