package state

import (
	"context"
	"time"
)

// SharedBlock is a core memory block that several agents of one tenant attach (see Block.SharedID).
// Each attachment is read-only, writable in place, or copy-on-write. Version grows with every
// write, so that writes through two agents cannot lose each other (see Change.SharedWrites).
type SharedBlock struct {
	ID          string       `json:"id"`
	Tenant      string       `json:"tenant"`
	Label       string       `json:"label"`
	Value       string       `json:"value"`
	Limit       int          `json:"limit"`
	Description string       `json:"description"`
	Version     int64        `json:"version"`
	CreatedAt   time.Time    `json:"created_at"`
	UpdatedAt   time.Time    `json:"updated_at"`
	Attachments []Attachment `json:"attachments"`
}

// Attachment is one agent's attachment of a shared block.
type Attachment struct {
	AgentID     string `json:"agent_id"`
	ReadOnly    bool   `json:"read_only"`
	CopyOnWrite bool   `json:"copy_on_write"`
}

// Block history actions.
const (
	BlockCreated = "created" // a block was created with a value
	BlockWritten = "written" // a value was replaced (in place, or in a shared block)
	BlockCopied  = "copied"  // a write to a copy-on-write attachment made the agent's private copy
	BlockUndone  = "undone"  // a write was undone (Undoes names it)
)

// BlockEvent is one entry of a block's history. The history of an agent's own block is keyed by
// the agent and label; a shared block's by its ID, whichever agent wrote it.
type BlockEvent struct {
	Seq      int64     `json:"seq"`
	SharedID string    `json:"shared_id,omitempty"` // the shared block written, or copied from
	AgentID  string    `json:"agent_id,omitempty"`  // the agent whose write it was
	Label    string    `json:"label"`
	Action   string    `json:"action"`
	Before   string    `json:"before"`
	After    string    `json:"after"`
	Undoes   int64     `json:"undoes,omitempty"` // the Seq an undo reverted
	Cause    string    `json:"cause,omitempty"`  // the tool or REST write that made it
	At       time.Time `json:"at"`
}

// Owner is the key of the history an event belongs to: the shared block's ID for a write to a
// shared block, else the agent's ID (with the label).
func (e BlockEvent) Owner() string {
	if e.SharedID != "" && e.Action != BlockCopied {
		return e.SharedID
	}
	return e.AgentID
}

// SharedBlockStore keeps shared blocks and block histories. The state stores implement it
// beside Store. Attaching, detaching and writing go through Store.Page (Change.PutBlocks with
// SharedID, DeleteBlocks, SharedWrites, BlockEvents).
type SharedBlockStore interface {
	// CreateSharedBlock stores a new shared block (Version 1) and its creation event.
	CreateSharedBlock(ctx context.Context, b SharedBlock, created BlockEvent) error
	// GetSharedBlock returns a shared block with its attachments, or ErrNotFound (also for
	// another tenant's, when ctx is scoped).
	GetSharedBlock(ctx context.Context, id string) (SharedBlock, error)
	// BlockHistory returns the events of one history (see BlockEvent.Owner), oldest first, at
	// most limit.
	BlockHistory(ctx context.Context, owner, label string, limit int) ([]BlockEvent, error)
}
