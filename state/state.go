// Package state defines the contract for an agent's durable state outside archival memory: agents,
// core memory blocks, the message history (recall memory, with a per-agent seq) and the running
// summaries. The pager owns the rules; a Store only keeps data and makes each paging step atomic.
//
// Backends live beneath it (sqlitestate for the embedded default, pgstate for PostgreSQL) and all
// pass the conformance suite in statetest. They return this package's sentinel errors, wrapped.
package state

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/binary"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"time"
)

// Sentinel errors returned (wrapped) by every Store.
var (
	ErrNotFound = errors.New("state: not found")
	ErrConflict = errors.New("state: conflict")
	// ErrUnavailable means the store cannot be reached right now; the request may be retried.
	ErrUnavailable = errors.New("state: store unavailable")
	// ErrInvalid means an argument the store parses (a list cursor) is malformed.
	ErrInvalid = errors.New("state: invalid argument")
	// ErrDimensionMismatch means the store was created with another embedder (name or dimension).
	ErrDimensionMismatch = errors.New("state: embedder mismatch")
)

// PagerConfig holds an agent's paging thresholds, as ratios of its context window.
type PagerConfig struct {
	WarnRatio   float64 `json:"warn_ratio"`
	FlushRatio  float64 `json:"flush_ratio"`
	TargetRatio float64 `json:"target_ratio"`
	KeepLast    int     `json:"keep_last"`
}

// Agent is one agent and the bookkeeping of its main context. The Context* fields are maintained
// by the pager inside Store.Page, so an append never needs to reload the whole context.
type Agent struct {
	ID            string      `json:"id"`
	Name          string      `json:"name"`
	System        string      `json:"system"`
	ContextWindow int         `json:"context_window"`
	Model         string      `json:"model"`
	Pager         PagerConfig `json:"pager"`
	// ToolsInContext says the model is handed memsvc's memory tools, so their definitions count
	// against the window.
	ToolsInContext bool            `json:"tools_in_context"`
	Metadata       json.RawMessage `json:"metadata,omitempty"`
	CreatedAt      time.Time       `json:"created_at"`
	UpdatedAt      time.Time       `json:"updated_at"`
	// Tenant owns the agent (see WithTenant); it is set at creation and never changes.
	Tenant string `json:"tenant"`
	// Permissions is the agent's own tool and write policy, nil for none (see Permissions).
	Permissions *Permissions `json:"permissions,omitempty"`

	Context ContextCounters `json:"-"`
}

// ContextCounters is the running account of an agent's main context.
type ContextCounters struct {
	LastSeq       int64  // highest seq assigned
	SystemTokens  int    // tokens of the system prompt
	BlocksTokens  int    // tokens of the rendered core blocks
	MessageTokens int    // tokens of the messages still in context
	InContext     int    // number of messages still in context
	Warned        bool   // a memory-pressure warning was placed in this episode
	SummaryID     string // current running summary, "" when none
	SummaryTokens int
}

// Block is a labelled, size-limited section of core memory, rendered into the context.
//
// A block with SharedID is an attachment of a shared block (see SharedBlock): its value, limit and
// description are the shared block's, and ReadOnly and CopyOnWrite are this attachment's own.
type Block struct {
	Label       string `json:"label"`
	Value       string `json:"value"`
	Limit       int    `json:"limit"`
	ReadOnly    bool   `json:"read_only"`
	Description string `json:"description"`
	// SharedID names the shared block this block is attached to, "" for the agent's own block.
	SharedID string `json:"shared_id,omitempty"`
	// CopyOnWrite makes the agent's first write to the attached block a private copy.
	CopyOnWrite bool `json:"copy_on_write,omitempty"`
	// Version is the shared block's version when read (0 for an own block); see Change.SharedWrites.
	Version int64 `json:"-"`
}

// Message is one message of an agent's history. InContext is false once the pager evicted it.
type Message struct {
	ID         string          `json:"id"`
	AgentID    string          `json:"agent_id"`
	Seq        int64           `json:"seq"`
	Role       string          `json:"role"`
	Content    string          `json:"content"`
	Name       string          `json:"name,omitempty"`
	ToolCalls  json.RawMessage `json:"tool_calls,omitempty"`
	ToolCallID string          `json:"tool_call_id,omitempty"`
	Pinned     bool            `json:"pinned"`
	Tokens     int             `json:"tokens"`
	InContext  bool            `json:"in_context"`
	CreatedAt  time.Time       `json:"created_at"`
}

// Summary is a recursive summary of evicted messages. PassageID is set once it was written to
// archival memory; until then it waits in the store's outbox (see Store.PendingSummaries).
type Summary struct {
	ID               string    `json:"id"`
	AgentID          string    `json:"agent_id"`
	Text             string    `json:"text"`
	Tokens           int       `json:"tokens"`
	FromSeq          int64     `json:"from_seq"`
	ThroughSeq       int64     `json:"through_seq"`
	PreviousID       string    `json:"previous_id,omitempty"`
	SourceMessageIDs []string  `json:"source_message_ids"`
	PassageID        string    `json:"passage_id,omitempty"`
	CreatedAt        time.Time `json:"created_at"`
	// CompactionID names the compaction that made the summary ("" for one made before
	// compactions were jobs); a compaction makes at most one summary.
	CompactionID string `json:"compaction_id,omitempty"`
	// SourcePassageIDs are the archival passages the summary drew on: the previous summary's
	// passage and those its source messages cite. When one is superseded, invalidated or
	// deleted, the summary is flagged stale (Status, StaleCause) and the next compaction
	// rebuilds it.
	SourcePassageIDs []string `json:"source_passage_ids"`
	Status           string   `json:"status"` // SummaryValid or SummaryStale
	StaleCause       string   `json:"stale_cause,omitempty"`
}

// Page is what Store.Page hands to the pager: the agent, read under its lock, and lazy loaders.
type Page interface {
	Agent() Agent
	// InContext returns the messages still in context, oldest first.
	InContext(ctx context.Context) ([]Message, error)
	// Blocks returns the agent's core blocks, ordered by label.
	Blocks(ctx context.Context) ([]Block, error)
	// Summary returns the current running summary, or nil.
	Summary(ctx context.Context) (*Summary, error)
}

// Change is what one paging step writes, atomically.
type Change struct {
	Append       []Message        // new messages, with ID and Seq assigned by the pager
	EvictThrough int64            // messages with seq <= EvictThrough leave the context; 0 for none
	Summary      *Summary         // a new running summary, or nil
	PutBlocks    []Block          // blocks created or replaced
	Agent        *Agent           // replaced agent fields (name, system, window, model, pager, metadata, permissions)
	Context      *ContextCounters // new counters, or nil to keep them
	DeleteBlocks []string         // labels of blocks (or attachments) to remove
	// SharedWrites are shared blocks written through an attachment. Each carries the Version it
	// was read at; a store answers ErrConflict (and writes nothing) if the block moved since.
	SharedWrites []SharedBlock
	BlockEvents  []BlockEvent // history of the block writes in this change
	// Queue is a new queued compaction, written in the same transaction as the eviction (or
	// request) that needs it, so that no evicted span is ever left without its job.
	Queue *Compaction
	// Finish records a compaction job's outcome with the summary it made (Summary). A store
	// answers ErrConflict (and writes nothing) when the compaction already finished.
	Finish *CompactionResult
}

// ListOptions pages through a list. Cursor is opaque, "" for the first page.
type ListOptions struct {
	Limit  int
	Cursor string
	// Tenant, when set, keeps only that tenant's items (lists of keys; agents are scoped by ctx).
	Tenant string
}

// RecallQuery is a hybrid search over one agent's messages.
type RecallQuery struct {
	AgentID  string
	Text     string
	Vector   []float32
	K        int
	Roles    []string
	From, To *time.Time
}

// MessageHit is a recall result with its 1-based ranks in the dense and lexical lists (0: absent).
type MessageHit struct {
	Message     Message
	Dense       float64
	Lexical     float64
	DenseRank   int
	LexicalRank int
}

// Store keeps agent state. Every method takes ctx first and honours cancellation.
type Store interface {
	// CreateAgent stores a new agent and its blocks. ErrConflict if the ID exists.
	CreateAgent(ctx context.Context, a Agent, blocks []Block) error
	// GetAgent returns an agent, or ErrNotFound.
	GetAgent(ctx context.Context, id string) (Agent, error)
	// ListAgents lists agents oldest first. ErrInvalid for a malformed cursor.
	ListAgents(ctx context.Context, opts ListOptions) (agents []Agent, next string, err error)
	// DeleteAgent removes the agent and everything it owns here, or returns ErrNotFound.
	DeleteAgent(ctx context.Context, id string) error

	// Page runs fn with the agent locked against every other Page on the same agent (in any
	// process sharing the store) and applies its Change in one transaction: all of it or none.
	// ErrNotFound if the agent does not exist. An error from fn is returned unchanged.
	Page(ctx context.Context, agentID string, fn func(ctx context.Context, p Page) (Change, error)) error

	// ListBlocks returns an agent's blocks ordered by label; GetBlock one of them, or ErrNotFound.
	ListBlocks(ctx context.Context, agentID string) ([]Block, error)
	GetBlock(ctx context.Context, agentID, label string) (Block, error)

	// ListMessages returns messages with seq > afterSeq, oldest first, at most limit.
	ListMessages(ctx context.Context, agentID string, afterSeq int64, limit int) ([]Message, error)
	// MessagesAt returns the agent's messages of the given sequence numbers that exist, oldest
	// first (recall search reads the message before each hit).
	MessagesAt(ctx context.Context, agentID string, seqs []int64) ([]Message, error)
	// InContext returns the messages still in context, oldest first.
	InContext(ctx context.Context, agentID string) ([]Message, error)
	// SearchMessages returns up to q.K lexical and q.K dense candidates (merged, unfused).
	SearchMessages(ctx context.Context, q RecallQuery) ([]MessageHit, error)
	// UnembeddedMessages returns up to limit messages that have no vector yet, of the agents
	// whose ID sorts after afterAgent ("" for every agent), by agent ID and then oldest first.
	// "Sorts after" is in the store's own order of IDs (a PostgreSQL database's collation), so a
	// caller passes on an agent ID the store returned rather than comparing IDs itself. The
	// embedder takes agents in turns by passing on the last agent of one batch, so that one
	// agent's backlog does not hold up every other agent's vectors.
	UnembeddedMessages(ctx context.Context, afterAgent string, limit int) ([]Message, error)
	// PendingVectors returns how many of an agent's messages have no vector yet: recall search
	// finds them by their words only until the background embedder reaches them.
	PendingVectors(ctx context.Context, agentID string) (int, error)
	// SetMessageVectors stores vectors by message ID. Unknown IDs are ignored.
	SetMessageVectors(ctx context.Context, vecs map[string][]float32) error

	// GetSummary returns a summary by ID, or ErrNotFound; ListSummaries an agent's, oldest first.
	GetSummary(ctx context.Context, agentID, id string) (Summary, error)
	ListSummaries(ctx context.Context, agentID string) ([]Summary, error)
	// PendingSummaries returns summaries not yet written to archival (the outbox), oldest first.
	PendingSummaries(ctx context.Context, limit int) ([]Summary, error)
	// MarkSummaryArchived records that a summary was written to archival as passageID.
	MarkSummaryArchived(ctx context.Context, summaryID, passageID string) error

	// CheckEmbedder records the embedder on first use and returns ErrDimensionMismatch when the
	// store was created with another model name or dimension.
	CheckEmbedder(ctx context.Context, model string, dim int) error
	// Ping reports whether the store is reachable.
	Ping(ctx context.Context) error
	Close() error
}

var idEncoding = base32.NewEncoding("0123456789abcdefghjkmnpqrstvwxyz").WithPadding(base32.NoPadding)

// lastID is the most recent ID NewID made in this process, so that the next is greater.
var lastID struct {
	sync.Mutex
	b [16]byte
}

// NewID returns a new opaque ID with the given prefix ("ag", "msg", …): 48 bits of milliseconds then
// 80 random bits, so IDs sort by creation time. Within one process they are strictly increasing
// (as monotonic ULIDs are): an ID made in the same millisecond as the one before it, or while the
// clock stepped back, is that one plus a random increment. Rules that break ties between equal
// times by ID (the key rule) thus keep the order in which one process wrote.
func NewID(prefix string) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(time.Now().UnixMilli())<<16)
	_, _ = rand.Read(b[6:])
	lastID.Lock()
	if bytes.Compare(b[:6], lastID.b[:6]) <= 0 {
		var inc [4]byte
		_, _ = rand.Read(inc[:])
		b = lastID.b
		addID(&b, uint64(binary.BigEndian.Uint32(inc[:]))+1)
	}
	lastID.b = b
	lastID.Unlock()
	return prefix + "_" + strings.ToLower(idEncoding.EncodeToString(b[:]))
}

// addID adds n to the 128-bit big-endian b, carrying into the millisecond bits on overflow.
func addID(b *[16]byte, n uint64) {
	lo := binary.BigEndian.Uint64(b[8:])
	sum := lo + n
	binary.BigEndian.PutUint64(b[8:], sum)
	if sum < lo {
		binary.BigEndian.PutUint64(b[:8], binary.BigEndian.Uint64(b[:8])+1)
	}
}
