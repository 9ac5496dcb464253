// Package sqliteoutbox is the outbox.Store of memsvc's embedded SQLite database (see package
// sqlitedb): entries in archival_outbox, events in passage_history. One process owns the
// database file, so an in-process striped lock (outbox.Locker, one per *sql.DB, shared by every
// Store over it) serializes each agent's writers.
// Every transaction goes through the database's write gate (sqlitedb.GateFor), held only for the
// transaction, never across a call to the other store. Times are kept in unix nanoseconds and
// returned in UTC.
package sqliteoutbox

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/memsvc/memsvc/archival"
	"github.com/memsvc/memsvc/archival/outbox"
	"github.com/memsvc/memsvc/sqlitedb"
)

// Store is the SQLite outbox. It is safe for concurrent use.
type Store struct {
	db    *sql.DB
	gate  *sqlitedb.Gate
	locks *outbox.Locker
}

var lockers sync.Map // *sql.DB -> *outbox.Locker

var _ outbox.Store = (*Store)(nil)

// New returns the outbox of db, opened (and migrated) by sqlitedb.Open. It does no I/O and does
// not own db.
func New(db *sql.DB) *Store {
	l, _ := lockers.LoadOrStore(db, new(outbox.Locker))
	return &Store{db: db, gate: sqlitedb.GateFor(db), locks: l.(*outbox.Locker)}
}

// Lock takes the in-process locks of agents.
func (s *Store) Lock(ctx context.Context, agents []string) (outbox.Session, error) {
	unlock, err := s.locks.Lock(ctx, agents)
	if err != nil {
		return nil, fmt.Errorf("sqliteoutbox: lock: %w", err)
	}
	return &session{s: s, agents: slices.Clone(agents), unlock: unlock}, nil
}

// Pending returns up to limit pending entries, oldest first.
func (s *Store) Pending(ctx context.Context, limit int) ([]outbox.Entry, error) {
	return s.query(ctx, `SELECT seq, agent_id, body, created_at FROM archival_outbox ORDER BY seq LIMIT ?`, limit)
}

func (s *Store) query(ctx context.Context, q string, args ...any) ([]outbox.Entry, error) {
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("sqliteoutbox: pending: %w", dbErr(ctx, err))
	}
	defer rows.Close()
	var out []outbox.Entry
	for rows.Next() {
		var e outbox.Entry
		var at int64
		if err := rows.Scan(&e.Seq, &e.AgentID, &e.Body, &at); err != nil {
			return nil, fmt.Errorf("sqliteoutbox: pending: %w", err)
		}
		e.CreatedAt = time.Unix(0, at).UTC()
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqliteoutbox: pending: %w", dbErr(ctx, err))
	}
	return out, nil
}

// History returns a passage's events, oldest first.
func (s *Store) History(ctx context.Context, agentID, passageID string) ([]archival.Event, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT seq, at, action, from_status, to_status, superseded_by, cause, confidence
		FROM passage_history WHERE agent_id = ? AND passage_id = ? ORDER BY seq`, agentID, passageID)
	if err != nil {
		return nil, fmt.Errorf("sqliteoutbox: history of %s: %w", passageID, dbErr(ctx, err))
	}
	defer rows.Close()
	out := []archival.Event{}
	for rows.Next() {
		e := archival.Event{AgentID: agentID, PassageID: passageID}
		var at int64
		var from, to string
		if err := rows.Scan(&e.Seq, &at, &e.Action, &from, &to, &e.SupersededBy, &e.Cause, &e.Confidence); err != nil {
			return nil, fmt.Errorf("sqliteoutbox: history of %s: %w", passageID, err)
		}
		e.At, e.FromStatus, e.ToStatus = time.Unix(0, at).UTC(), archival.Status(from), archival.Status(to)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqliteoutbox: history of %s: %w", passageID, dbErr(ctx, err))
	}
	return out, nil
}

// session holds the in-process locks of agents.
type session struct {
	s      *Store
	agents []string
	unlock func()
}

func (ss *session) Pending(ctx context.Context) ([]outbox.Entry, error) {
	if len(ss.agents) == 0 {
		return nil, nil
	}
	args := make([]any, len(ss.agents))
	for i, a := range ss.agents {
		args[i] = a
	}
	return ss.s.query(ctx, `SELECT seq, agent_id, body, created_at FROM archival_outbox
		WHERE agent_id IN (?`+strings.Repeat(", ?", len(args)-1)+`) ORDER BY seq`, args...)
}

func (ss *session) Append(ctx context.Context, w outbox.Write) ([]int64, error) {
	for _, e := range w.Entries {
		if !slices.Contains(ss.agents, e.AgentID) {
			return nil, fmt.Errorf("sqliteoutbox: append: agent %q is not locked by this session", e.AgentID)
		}
	}
	var seqs []int64
	err := ss.s.writeTx(ctx, func(tx *sql.Tx) error {
		for _, a := range w.ForgetAgents {
			if _, err := tx.ExecContext(ctx, `DELETE FROM passage_history WHERE agent_id = ?;
				DELETE FROM archival_outbox WHERE agent_id = ?`, a, a); err != nil {
				return err
			}
		}
		for _, p := range w.ForgetPassages {
			if _, err := tx.ExecContext(ctx, `DELETE FROM passage_history WHERE agent_id = ? AND passage_id = ?`,
				p.AgentID, p.ID); err != nil {
				return err
			}
		}
		now := time.Now().UnixNano()
		for _, e := range w.Entries {
			var seq int64
			if err := tx.QueryRowContext(ctx, `INSERT INTO archival_outbox (agent_id, body, created_at)
				VALUES (?, ?, ?) RETURNING seq`, e.AgentID, e.Body, now).Scan(&seq); err != nil {
				return err
			}
			seqs = append(seqs, seq)
		}
		for _, e := range w.Events {
			if _, err := tx.ExecContext(ctx, `INSERT INTO passage_history (agent_id, passage_id, at, action,
				from_status, to_status, superseded_by, cause, confidence) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				e.AgentID, e.PassageID, e.At.UnixNano(), e.Action, string(e.FromStatus), string(e.ToStatus),
				e.SupersededBy, e.Cause, e.Confidence); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("sqliteoutbox: append: %w", err)
	}
	return seqs, nil
}

func (ss *session) Done(ctx context.Context, seqs ...int64) error {
	if len(seqs) == 0 {
		return nil
	}
	args := make([]any, len(seqs))
	for i, q := range seqs {
		args[i] = q
	}
	err := ss.s.writeTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM archival_outbox WHERE seq IN (?`+strings.Repeat(", ?", len(args)-1)+`)`, args...)
		return err
	})
	if err != nil {
		return fmt.Errorf("sqliteoutbox: done: %w", err)
	}
	return nil
}

func (ss *session) Close() error {
	ss.unlock()
	return nil
}

// writeTx runs fn in a transaction holding the database's write gate, committing when fn
// succeeds.
func (s *Store) writeTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	if err := s.gate.Lock(ctx); err != nil {
		return err
	}
	defer s.gate.Unlock()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return dbErr(ctx, err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	if err := fn(tx); err != nil {
		return dbErr(ctx, err)
	}
	return dbErr(ctx, tx.Commit())
}

// dbErr makes an error of a call that ctx cut short wrap ctx's error, since the driver may
// report an interruption in its own words.
func dbErr(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	if c := ctx.Err(); c != nil && !errors.Is(err, c) {
		return fmt.Errorf("%w: %w", c, err)
	}
	return err
}
