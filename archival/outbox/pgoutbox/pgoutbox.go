// Package pgoutbox is the outbox.Store of memsvc's PostgreSQL database: entries in
// archival_outbox, events in passage_history (migrations/postgres 0002 and 0003).
//
// Lock serializes the writers of an agent across every replica sharing the database. A session
// first takes the agents' in-process locks (outbox.Locker), so that one process never holds more
// than one pool connection waiting for the same agent, then acquires one connection and takes a
// session-level advisory lock per agent (pg_advisory_lock on a 64-bit hash of the agent, in
// ascending order, so sessions never deadlock; two agents whose hashes collide just share a
// lock). Append and Done run on that connection, so a session uses exactly one connection, and an
// Append that commits was made while the locks were held: if the connection dropped, PostgreSQL
// released the locks and the Append fails. Close unlocks and returns the connection; a
// connection that cannot unlock is closed, which releases its locks.
//
// Errors that mean the database cannot be reached wrap pgdb.ErrUnavailable (and so
// archival.ErrUnavailable).
package pgoutbox

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/memsvc/memsvc/archival"
	"github.com/memsvc/memsvc/archival/outbox"
	"github.com/memsvc/memsvc/archival/pghistory"
	"github.com/memsvc/memsvc/pgdb"
)

// Store is the PostgreSQL outbox. It is safe for concurrent use.
type Store struct {
	pool  *pgxpool.Pool
	locks outbox.Locker
}

var _ outbox.Store = (*Store)(nil)

// New returns the outbox of the database behind pool, migrated by pgdb.Open. It does no I/O and
// does not own pool.
func New(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

// LockKey is the advisory lock key of agent (FNV-1a 64 of "memsvc/archival/" + agent).
func LockKey(agent string) int64 {
	h := fnv.New64a()
	h.Write([]byte("memsvc/archival/" + agent))
	return int64(h.Sum64())
}

// Lock takes the in-process locks, then the advisory locks, of agents.
func (s *Store) Lock(ctx context.Context, agents []string) (outbox.Session, error) {
	unlock, err := s.locks.Lock(ctx, agents)
	if err != nil {
		return nil, fmt.Errorf("pgoutbox: lock: %w", err)
	}
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		unlock()
		return nil, fmt.Errorf("pgoutbox: lock: %w", dbErr(ctx, err))
	}
	keys := make([]int64, 0, len(agents))
	for _, a := range agents {
		keys = append(keys, LockKey(a))
	}
	slices.Sort(keys)
	keys = slices.Compact(keys)
	ss := &session{conn: conn, agents: slices.Clone(agents), unlock: unlock}
	for _, k := range keys {
		if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, k); err != nil {
			ss.close(false)
			return nil, fmt.Errorf("pgoutbox: lock: %w", dbErr(ctx, err))
		}
		ss.keys = append(ss.keys, k)
	}
	return ss, nil
}

// Pending returns up to limit pending entries, oldest first.
func (s *Store) Pending(ctx context.Context, limit int) ([]outbox.Entry, error) {
	return readEntries(ctx, s.pool, `SELECT seq, agent_id, body, created_at FROM archival_outbox ORDER BY seq LIMIT $1`, limit)
}

// querier is what the pool and a connection have in common.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

func readEntries(ctx context.Context, q querier, sql string, args ...any) ([]outbox.Entry, error) {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("pgoutbox: pending: %w", dbErr(ctx, err))
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (outbox.Entry, error) {
		var e outbox.Entry
		err := row.Scan(&e.Seq, &e.AgentID, &e.Body, &e.CreatedAt)
		e.CreatedAt = e.CreatedAt.UTC()
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("pgoutbox: pending: %w", dbErr(ctx, err))
	}
	return out, nil
}

// History returns a passage's events, oldest first. Times are in UTC, to the microsecond.
func (s *Store) History(ctx context.Context, agentID, passageID string) ([]archival.Event, error) {
	out, err := pghistory.Read(ctx, s.pool, agentID, passageID)
	if err != nil {
		return nil, fmt.Errorf("pgoutbox: history of %s: %w", passageID, dbErr(ctx, err))
	}
	return out, nil
}

// session holds one connection and the advisory locks taken on it.
type session struct {
	conn   *pgxpool.Conn
	agents []string
	keys   []int64
	unlock func()
	closed bool
}

func (ss *session) Pending(ctx context.Context) ([]outbox.Entry, error) {
	return readEntries(ctx, ss.conn, `SELECT seq, agent_id, body, created_at FROM archival_outbox
		WHERE agent_id = ANY($1) ORDER BY seq`, ss.agents)
}

func (ss *session) Append(ctx context.Context, w outbox.Write) ([]int64, error) {
	for _, e := range w.Entries {
		if !slices.Contains(ss.agents, e.AgentID) {
			return nil, fmt.Errorf("pgoutbox: append: agent %q is not locked by this session", e.AgentID)
		}
	}
	var seqs []int64
	err := pgx.BeginFunc(ctx, ss.conn, func(tx pgx.Tx) error {
		b := &pgx.Batch{}
		if len(w.ForgetAgents) > 0 {
			b.Queue(`DELETE FROM passage_history WHERE agent_id = ANY($1)`, w.ForgetAgents)
			b.Queue(`DELETE FROM archival_outbox WHERE agent_id = ANY($1)`, w.ForgetAgents)
		}
		if len(w.ForgetPassages) > 0 {
			agents, ids := make([]string, len(w.ForgetPassages)), make([]string, len(w.ForgetPassages))
			for i, p := range w.ForgetPassages {
				agents[i], ids[i] = p.AgentID, p.ID
			}
			b.Queue(`DELETE FROM passage_history WHERE (agent_id, passage_id) IN
				(SELECT * FROM unnest($1::text[], $2::text[]))`, agents, ids)
		}
		if len(w.Entries) > 0 {
			agents, bodies := make([]string, len(w.Entries)), make([][]byte, len(w.Entries))
			for i, e := range w.Entries {
				agents[i], bodies[i] = e.AgentID, e.Body
			}
			b.Queue(`INSERT INTO archival_outbox (agent_id, body, created_at)
				SELECT e.agent_id, e.body, now() FROM unnest($1::text[], $2::bytea[]) WITH ORDINALITY AS e(agent_id, body, ord)
				ORDER BY e.ord RETURNING seq`, agents, bodies).Query(func(rows pgx.Rows) error {
				var err error
				seqs, err = pgx.CollectRows(rows, pgx.RowTo[int64])
				return err
			})
		}
		if len(w.Events) > 0 {
			pghistory.Queue(b, w.Events)
		}
		return tx.SendBatch(ctx, b).Close()
	})
	if err != nil {
		return nil, fmt.Errorf("pgoutbox: append: %w", dbErr(ctx, err))
	}
	slices.Sort(seqs) // RETURNING order is not guaranteed; identities follow the insert order
	return seqs, nil
}

func (ss *session) Done(ctx context.Context, seqs ...int64) error {
	if len(seqs) == 0 {
		return nil
	}
	if _, err := ss.conn.Exec(ctx, `DELETE FROM archival_outbox WHERE seq = ANY($1)`, seqs); err != nil {
		return fmt.Errorf("pgoutbox: done: %w", dbErr(ctx, err))
	}
	return nil
}

func (ss *session) Close() error {
	ss.close(true)
	return nil
}

// close unlocks (when asked and possible) and returns the connection to the pool; a connection
// whose locks cannot be released is closed, which releases them.
func (ss *session) close(unlock bool) {
	if ss.closed {
		return
	}
	ss.closed = true
	defer ss.unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ok := unlock
	if unlock && len(ss.keys) > 0 {
		_, err := ss.conn.Exec(ctx, `SELECT pg_advisory_unlock(k) FROM unnest($1::bigint[]) AS k`, ss.keys)
		ok = err == nil
	}
	if !ok {
		_ = ss.conn.Conn().Close(ctx) // the pool destroys a closed connection on release
	}
	ss.conn.Release()
}

// dbErr wraps ctx's error when ctx cut the call short and classifies connection failures.
func dbErr(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	if c := ctx.Err(); c != nil && !errors.Is(err, c) {
		err = fmt.Errorf("%w: %w", c, err)
	}
	return pgdb.Classify(err)
}
