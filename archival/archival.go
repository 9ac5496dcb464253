// Package archival defines the contract for archival memory: an agent's long-term store of passages,
// searched by a hybrid of dense vectors and lexical BM25, and carrying validity fields (when a passage
// became true, whether it is still valid, and what superseded it).
//
// Backends live beneath it (memarchival, pgarchival, qdrantarchival) and all pass the conformance
// suite in archivaltest. A backend returns the sentinel errors of this package, wrapped with context,
// so callers can test them with errors.Is.
package archival

import (
	"context"
	"errors"
	"time"
)

// Sentinel errors returned (wrapped) by every Store.
var (
	// ErrNotFound means the passage does not exist for that agent.
	ErrNotFound = errors.New("archival: not found")
	// ErrDimensionMismatch means a vector's length differs from the store's dimension.
	ErrDimensionMismatch = errors.New("archival: vector dimension mismatch")
	// ErrUnavailable means the backend cannot be reached right now; the request may be retried.
	ErrUnavailable = errors.New("archival: backend unavailable")
	// ErrInvalid means a passage or query is malformed (empty id, empty agent, k out of range).
	ErrInvalid = errors.New("archival: invalid argument")
)

// Status is a passage's validity status.
type Status string

// The validity statuses. Only StatusValid passages are returned by default.
const (
	StatusValid       Status = "valid"
	StatusSuperseded  Status = "superseded"
	StatusInvalidated Status = "invalidated"
	StatusExpired     Status = "expired"
)

// Valid reports whether s is one of the known statuses.
func (s Status) Valid() bool {
	switch s {
	case StatusValid, StatusSuperseded, StatusInvalidated, StatusExpired:
		return true
	}
	return false
}

// Source says who asserted a passage. It matters for authority in supersession.
type Source string

// The passage sources.
const (
	SourceUser       Source = "user"
	SourceAgent      Source = "agent"
	SourceTool       Source = "tool"
	SourceCompaction Source = "compaction"
	SourceImport     Source = "import"
)

// Valid reports whether s is one of the known sources.
func (s Source) Valid() bool {
	switch s {
	case SourceUser, SourceAgent, SourceTool, SourceCompaction, SourceImport:
		return true
	}
	return false
}

// Passage is one archival memory. CreatedAt is record time; ValidFrom and ValidTo are event time.
type Passage struct {
	ID      string `json:"id"`
	AgentID string `json:"agent_id"`
	Text    string `json:"text"`
	// Context situates the passage (the message it answers, the document it comes from): it is
	// embedded with the text and its words are searched with the text's (LexicalText), so that
	// the passage is found by what it means where it stands, but it is not part of the text.
	Context      string         `json:"context,omitempty"`
	Vector       []float32      `json:"-"`
	CreatedAt    time.Time      `json:"created_at"`
	ValidFrom    time.Time      `json:"valid_from"`
	ValidTo      *time.Time     `json:"valid_to"`
	Status       Status         `json:"status"`
	Supersedes   string         `json:"supersedes,omitempty"`
	SupersededBy string         `json:"superseded_by,omitempty"`
	Key          string         `json:"key,omitempty"`
	Source       Source         `json:"source"`
	Tags         []string       `json:"tags"`
	Metadata     map[string]any `json:"metadata,omitempty"`
	// PossiblySupersededBy names a newer passage about the same subject that may replace this
	// one, found without a key; Confidence says how sure that is, in (0, 1]. The status stays
	// valid: scoring applies a soft penalty, and nothing is invalidated silently.
	PossiblySupersededBy string  `json:"possibly_superseded_by,omitempty"`
	Confidence           float64 `json:"supersession_confidence,omitempty"`

	// Cause, on a write, says why (recorded in the history of every validity change it makes).
	Cause string `json:"-"`
}

// LexicalText is what the lexical half of a search indexes of a passage: its text, and its
// context after it. Every backend ranks by BM25 over these words (PostgreSQL's tsv column is made
// the same way).
func (p Passage) LexicalText() string {
	if p.Context == "" {
		return p.Text
	}
	return p.Text + " " + p.Context
}

// Query is a hybrid search over one agent's passages.
type Query struct {
	AgentID string
	// Text drives the lexical (BM25) half; Vector drives the dense half. Either may be empty.
	Text   string
	Vector []float32
	// K is how many hits to return, at least 1.
	K int
	// Tags, when set, keeps only passages carrying every one of them.
	Tags []string
	// AsOf, when set, keeps passages whose validity interval contains it (ValidFrom <= AsOf < ValidTo).
	AsOf *time.Time
	// IncludeInvalid also returns passages whose status is not valid.
	IncludeInvalid bool
}

// Event is one entry of a passage's history: its creation or a change of its validity.
type Event struct {
	AgentID      string    `json:"agent_id"`
	PassageID    string    `json:"passage_id"`
	Seq          int64     `json:"seq"` // order of events in the store
	At           time.Time `json:"at"`
	Action       string    `json:"action"` // see the Action* constants
	FromStatus   Status    `json:"from_status,omitempty"`
	ToStatus     Status    `json:"to_status"`
	SupersededBy string    `json:"superseded_by,omitempty"`
	Cause        string    `json:"cause,omitempty"`
	Confidence   float64   `json:"confidence,omitempty"`
}

// History actions.
const (
	ActionCreated            = "created"
	ActionSuperseded         = "superseded"
	ActionInvalidated        = "invalidated"
	ActionExpired            = "expired"
	ActionRestored           = "restored"
	ActionPossiblySuperseded = "possibly_superseded"
)

// Hit is one search result with the raw evidence behind it. Backends fill DenseRank/LexicalRank
// (1-based, 0 when the passage was not in that list) so that ranking can be fused the same way on
// every backend (see package rank).
type Hit struct {
	Passage     Passage
	Dense       float64 // cosine similarity, in [-1, 1]; within 1e-3 where vectors are held as float16 (memarchival)
	Lexical     float64 // BM25, higher is better; 0 when not matched
	DenseRank   int
	LexicalRank int
	Relevance   float64 // fused score
}

// Store is an archival backend. Every method takes ctx first and honours its cancellation.
type Store interface {
	// Upsert inserts or replaces passages by ID (idempotent). It returns ErrDimensionMismatch
	// when a vector has the wrong length and ErrInvalid for a passage without ID or agent.
	// A failed call stores none of the batch. In the same atomic step it enforces the key rule
	// (see ResolveKey) for every key the batch touches, and appends to the history an Event for
	// every passage created and every validity change, the batch's own and the key rule's.
	Upsert(ctx context.Context, ps []Passage) error
	// History returns a passage's events, oldest first, or ErrNotFound for an unknown passage.
	History(ctx context.Context, agentID, id string) ([]Event, error)
	// Get returns one passage of an agent, or ErrNotFound.
	Get(ctx context.Context, agentID, id string) (Passage, error)
	// Update is a read-modify-write of one agent's passages under the agent's write lock: it
	// reads the passages ids as they are now (nil for one that does not exist), hands them to fn
	// in the order of ids, and writes what fn returns as Upsert does (key rule and history), in
	// one atomic step. No other write of the agent's passages (Upsert, Update, Delete,
	// DeleteAgent), in this process or in another sharing the store, runs between the read and
	// the write, so a change that fn derives from the passages it was given cannot undo a
	// concurrent one. fn runs while the lock is held and must not call the store, nor wait on anything
	// that may wait on the store (on PostgreSQL it holds a pool connection); an error from
	// fn aborts the update with nothing stored and is returned (wrapped). Every passage fn
	// returns must belong to agentID (ErrInvalid otherwise); returning none stores nothing.
	Update(ctx context.Context, agentID string, ids []string, fn func(cur []*Passage) ([]Passage, error)) error
	// Delete removes one passage of an agent and its history in one atomic step, or returns
	// ErrNotFound. No passage is left superseded by it: in the same step the chains of its key
	// and of the keys of the passages it superseded are resolved again (see ResolveAfterDelete;
	// when it was its key's current value, the value before it becomes current again), and an
	// unkeyed passage it superseded is valid again (Unsupersede), each with a history entry
	// saying why.
	Delete(ctx context.Context, agentID, id string) error
	// DeleteAgent removes every passage of an agent. Deleting an agent with none is not an error.
	DeleteAgent(ctx context.Context, agentID string) error
	// Search returns up to q.K hits, best first, by fused relevance. Hits carry their
	// passage's Vector.
	Search(ctx context.Context, q Query) ([]Hit, error)
	// Count returns how many passages an agent has.
	Count(ctx context.Context, agentID string) (int, error)
	// Dim is the vector dimension the store was opened with.
	Dim() int
}
