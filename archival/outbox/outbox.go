// Package outbox is the durable write-ahead queue of an archival backend whose passages live in
// another system than the state store (qdrantarchival: Qdrant). A write is first committed to the
// state store's database as an Entry (the operations to apply, opaque to this package), together
// with the history events it makes; only then is it applied to the other system, and the entry is
// deleted once that system acknowledged it. An entry still pending after a crash, a timeout or an
// outage is applied again (by the next write of its agent, by a periodic drain, and at start-up),
// so no acknowledged write is lost between the two stores, and the history never names a write
// that will not happen. Applying an entry must therefore be idempotent.
//
// A backend serializes its writers per agent with Store.Lock: it reads the other system, decides,
// appends, applies and marks done while holding the agent's lock, so the entries of one agent are
// applied in the order they were appended. Backends: sqliteoutbox (the embedded database; its lock
// is in-process, as one process owns the file) and pgoutbox (PostgreSQL; its lock is a session
// advisory lock, which also serializes replicas sharing the database).
//
// Both keep entries in the archival_outbox table and events in passage_history (migrations
// 0003_outbox and 0002). Errors that mean the database cannot be reached wrap
// archival.ErrUnavailable.
package outbox

import (
	"context"
	"time"

	"github.com/memsvc/memsvc/archival"
)

// Entry is one agent's write intent: Body is the backend's encoding of the operations to apply.
type Entry struct {
	Seq       int64 // order of appending, assigned by the store
	AgentID   string
	Body      []byte
	CreatedAt time.Time
}

// PassageRef names one passage of one agent.
type PassageRef struct{ AgentID, ID string }

// Write is what one Session.Append commits in a single transaction.
type Write struct {
	// Entries are appended in order; each entry's agent must be locked by the session.
	Entries []Entry
	// Events are appended to the passages' history, in order.
	Events []archival.Event
	// ForgetPassages have their history deleted (before Events are appended).
	ForgetPassages []PassageRef
	// ForgetAgents have their history and their pending entries deleted (before Entries and
	// Events are appended): a backend deleting an agent need not apply what it replaces.
	ForgetAgents []string
}

// Store is the outbox of one database.
type Store interface {
	// Lock returns a Session holding the write lock of every agent in agents, waiting while
	// another session (of this process or, where the database is shared, another) holds one of
	// them, or until ctx ends. Sessions take their locks in one global order, so they never
	// deadlock.
	Lock(ctx context.Context, agents []string) (Session, error)
	// Pending returns up to limit pending entries of every agent, oldest first, without locking:
	// a drainer uses it to find the agents to lock.
	Pending(ctx context.Context, limit int) ([]Entry, error)
	// History returns a passage's events, oldest first (none is not an error here).
	History(ctx context.Context, agentID, passageID string) ([]archival.Event, error)
}

// Session holds the lock of some agents until Close. It is not safe for concurrent use.
type Session interface {
	// Pending returns the locked agents' pending entries, oldest first.
	Pending(ctx context.Context) ([]Entry, error)
	// Append commits w in one transaction and returns the entries' sequence numbers.
	Append(ctx context.Context, w Write) ([]int64, error)
	// Done deletes applied entries.
	Done(ctx context.Context, seqs ...int64) error
	// Close releases the locks. It is safe to call more than once.
	Close() error
}
