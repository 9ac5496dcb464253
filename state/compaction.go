package state

import (
	"context"
	"time"
)

// Compaction statuses. A compaction is queued from the eviction (or request) that needs it until a
// job claims it; it stays queued while a failed attempt waits to be retried.
const (
	CompactionQueued    = "queued"
	CompactionRunning   = "running"
	CompactionSucceeded = "succeeded"
	CompactionFailed    = "failed"
)

// Why a compaction was queued.
const (
	ReasonEvicted   = "evicted"   // the pager evicted messages
	ReasonRequested = "requested" // a client asked for one (POST .../compactions)
)

// Summary statuses: a summary is flagged stale when a passage it drew on is superseded,
// invalidated or deleted; the next compaction rebuilds it.
const (
	SummaryValid = "valid"
	SummaryStale = "stale"
)

// Compaction is one background compaction: folding the messages an eviction moved out of the
// context (seq FromSeq..ThroughSeq) into the agent's running summary. The pager inserts it queued
// in the same transaction as the eviction (Change.Queue); a job finishes it (Change.Finish).
type Compaction struct {
	ID         string
	AgentID    string
	Reason     string
	Status     string
	FromSeq    int64
	ThroughSeq int64
	// SummaryID is the summary the compaction made (or that covered its span), once succeeded.
	SummaryID string
	// CoveredBy names the compaction whose summary also folded this one's span (coalesced).
	CoveredBy string
	TokensIn  int
	TokensOut int
	// Retention is the share of pinned facts the summary (or archival) kept, in [0, 1]; nil
	// until the compaction ran. MissingFacts are those it did not keep, written to archival
	// verbatim instead.
	Retention    *float64
	MissingFacts []string
	Attempts     int
	Error        string
	// Generation counts the times the scheduler handed the compaction to the job queue (0: not
	// yet). Only a job of the current generation may run it.
	Generation int
	// LeaseUntil bounds how long the current generation may go without progress (while queued
	// for the job queue or running); past it the scheduler hands the compaction out again.
	LeaseUntil *time.Time
	// VFloor is the scheduler's virtual-time floor when it dispatched the compaction.
	VFloor     float64
	CreatedAt  time.Time
	StartedAt  *time.Time
	FinishedAt *time.Time
}

// Finished reports whether the compaction succeeded or failed.
func (c Compaction) Finished() bool {
	return c.Status == CompactionSucceeded || c.Status == CompactionFailed
}

// InFlight reports whether the compaction was handed to the job queue and has not finished.
func (c Compaction) InFlight() bool { return c.Generation > 0 && !c.Finished() }

// CompactionResult is what a compaction job writes with Change.Finish: the compaction's outcome
// (Status succeeded, SummaryID, TokensIn, TokensOut, Retention, MissingFacts, FinishedAt; the
// summary itself goes in Change.Summary), the queued compactions of the same agent its summary
// also covers, and its cost charged to the agent's compaction account.
type CompactionResult struct {
	Compaction Compaction
	// Covers are queued (not dispatched) compactions of the agent folded into this summary;
	// they succeed with it.
	Covers []string
	Charge Charge
}

// Charge is a compaction's cost charged to its agent's account. The account's virtual time
// (0 for a new account) becomes max(vruntime, Floor) + Tokens (a CFS-style placement: an agent
// idle for long starts from the floor, not from its old, low virtual time); the period's tokens
// restart at PeriodStart when it differs from the account's.
type Charge struct {
	Tokens      int
	Floor       float64
	PeriodStart time.Time
}

// CompactionAccount is an agent's compaction account (see Charge).
type CompactionAccount struct {
	AgentID      string
	VRuntime     float64
	PeriodStart  time.Time
	PeriodTokens int
	TokensTotal  int
}

// RunnableAgent is an agent with a queued compaction not yet handed out, and none in flight.
type RunnableAgent struct {
	Next    Compaction        // its oldest queued compaction
	Account CompactionAccount // zero for an agent never charged
}

// SchedulerState is what the compaction scheduler decides on.
type SchedulerState struct {
	// Runnable is empty when every slot was taken (see CompactionStore.Scheduler): Skipped.
	Runnable []RunnableAgent
	// Skipped reports that Runnable was not read.
	Skipped bool
	// InFlight counts compactions handed to the job queue whose lease has not expired.
	InFlight int
	// Expired are compactions in flight whose lease expired before now (their job died): they
	// are handed out again.
	Expired []Compaction
	// Floor is the scheduler's virtual-time floor (it never decreases).
	Floor float64
}

// CompactionStore keeps compaction jobs, the summaries' provenance flags and the agents'
// compaction accounts. Both state stores implement it; Change.Queue and Change.Finish write
// compactions atomically with a paging step. Every method takes ctx first.
type CompactionStore interface {
	// GetCompaction returns a compaction, or ErrNotFound.
	GetCompaction(ctx context.Context, id string) (Compaction, error)
	// CompactionAccount returns an agent's compaction account; the zero account (with AgentID)
	// for an agent never charged.
	CompactionAccount(ctx context.Context, agentID string) (CompactionAccount, error)
	// ListCompactions returns an agent's compactions, oldest first, at most limit.
	ListCompactions(ctx context.Context, agentID string, limit int) ([]Compaction, error)
	// QueuedCompactions returns an agent's queued compactions not yet handed out, oldest first.
	QueuedCompactions(ctx context.Context, agentID string) ([]Compaction, error)
	// Scheduler returns the scheduler's view at now. When slots > 0 and at least slots
	// compactions are in flight, it leaves Runnable empty without reading it: the scheduler has
	// nothing to hand out, and the runnable agents are the costly part of the view.
	Scheduler(ctx context.Context, now time.Time, slots int) (SchedulerState, error)
	// AdvanceFloor raises the virtual-time floor to v (it never lowers it).
	AdvanceFloor(ctx context.Context, v float64) error
	// DispatchCompaction hands compaction id out as generation fromGeneration+1, leased until
	// leaseUntil, when its generation is still fromGeneration, it has not finished, and no other
	// compaction of its agent is in flight (unexpired). ErrConflict otherwise (another replica
	// won). ErrNotFound for an unknown id.
	DispatchCompaction(ctx context.Context, id string, fromGeneration int, leaseUntil time.Time, floor float64) error
	// StartCompaction claims compaction id for a job of the given generation: running, one more
	// attempt, leased until leaseUntil. ErrConflict when the generation is not current or the
	// compaction finished (the job is stale or a duplicate and must do nothing).
	StartCompaction(ctx context.Context, id string, generation int, now, leaseUntil time.Time) (Compaction, error)
	// RenewCompaction extends a running compaction's lease; ErrConflict when the generation lost it.
	RenewCompaction(ctx context.Context, id string, generation int, leaseUntil time.Time) error
	// RetryCompaction records a failed attempt to be retried by the job queue: queued again (still
	// in flight), with the error, leased until leaseUntil. ErrConflict when the generation lost it.
	RetryCompaction(ctx context.Context, id string, generation int, errMsg string, leaseUntil time.Time) error
	// FailCompaction records a compaction's final failure. ErrConflict when the generation lost it.
	FailCompaction(ctx context.Context, id string, generation int, errMsg string, now time.Time) error
	// FlagSummaries marks summaries of an agent stale, with the cause.
	FlagSummaries(ctx context.Context, agentID string, ids []string, cause string) error
	// PinnedMessages returns an agent's pinned messages with seq <= throughSeq, oldest first.
	PinnedMessages(ctx context.Context, agentID string, throughSeq int64) ([]Message, error)
}
