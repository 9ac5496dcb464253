// Package sqlitestate is the embedded state.Store: agents, blocks, messages and summaries in the
// SQLite database that sqlitedb opens. Page runs in a BEGIN IMMEDIATE transaction, which takes
// SQLite's single write lock, so paging steps are serialized per database (and so per agent).
// Recall search fuses BM25 over the agent's own messages (an in-process lexindex, loaded on the
// agent's first search) with an exact scan of the agent's message vectors.
package sqlitestate

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/memsvc/memsvc/sqlitedb"
	"github.com/memsvc/memsvc/state"
)

// Store is the embedded state store.
type Store struct {
	db   *sql.DB
	gate *sqlitedb.Gate

	mu    sync.Mutex // guards queue and every pageReq's done and err
	queue []*pageReq // Page calls waiting for a group commit

	recall *recallIndex // the lexical half of recall search

	stmts *sqlitedb.Stmts // the append path's statements, prepared once
}

var _ state.Store = (*Store)(nil)

// New returns a Store over a database opened (and migrated) by sqlitedb.Open. Close closes db.
func New(db *sql.DB) *Store {
	return &Store{db: db, gate: sqlitedb.GateFor(db), recall: newRecallIndex(), stmts: sqlitedb.NewStmts(db)}
}

// DB returns the underlying database, shared with the embedded archival store.
func (s *Store) DB() *sql.DB { return s.db }

// Close closes the prepared statements and the database.
func (s *Store) Close() error {
	s.stmts.Close()
	return s.db.Close()
}

// write runs fn holding the database's write gate.
func (s *Store) write(ctx context.Context, fn func() error) error {
	if err := s.gate.Lock(ctx); err != nil {
		return err
	}
	defer s.gate.Unlock()
	return fn()
}

// writeTx runs fn in a transaction holding the write gate, committing when fn succeeds.
func (s *Store) writeTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	return s.write(ctx, func() error {
		tx, err := s.db.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("sqlitestate: begin: %w", err)
		}
		defer tx.Rollback()
		if err := fn(tx); err != nil {
			return err
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("sqlitestate: commit: %w", err)
		}
		return nil
	})
}

// Ping reports whether the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }

func nanos(t time.Time) int64 { return t.UnixNano() }

func fromNanos(n int64) time.Time { return time.Unix(0, n).UTC() }

func nullJSON(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return string(b)
}

const agentCols = `id, name, system, context_window, model, pager, tools_in_context, metadata, created_at, updated_at,
	last_seq, system_tokens, blocks_tokens, message_tokens, in_context, warned, summary_id, summary_tokens, tenant, permissions`

type scanner interface{ Scan(dest ...any) error }

func scanAgent(r scanner) (state.Agent, error) {
	var a state.Agent
	var pager string
	var meta, perms sql.NullString
	var created, updated int64
	c := &a.Context
	err := r.Scan(&a.ID, &a.Name, &a.System, &a.ContextWindow, &a.Model, &pager, &a.ToolsInContext, &meta, &created, &updated,
		&c.LastSeq, &c.SystemTokens, &c.BlocksTokens, &c.MessageTokens, &c.InContext, &c.Warned, &c.SummaryID, &c.SummaryTokens,
		&a.Tenant, &perms)
	if err != nil {
		return a, err
	}
	if a.Permissions, err = state.DecodePermissions([]byte(perms.String)); err != nil {
		return a, fmt.Errorf("sqlitestate: agent %s permissions: %w", a.ID, err)
	}
	if err := json.Unmarshal([]byte(pager), &a.Pager); err != nil {
		return a, fmt.Errorf("sqlitestate: agent %s pager: %w", a.ID, err)
	}
	if meta.Valid {
		a.Metadata = json.RawMessage(meta.String)
	}
	a.CreatedAt, a.UpdatedAt = fromNanos(created), fromNanos(updated)
	return a, nil
}

// CreateAgent implements state.Store.
func (s *Store) CreateAgent(ctx context.Context, a state.Agent, blocks []state.Block) error {
	pager, err := json.Marshal(a.Pager)
	if err != nil {
		return err
	}
	a.Tenant = state.AgentTenant(ctx, a.Tenant)
	return s.writeTx(ctx, func(tx *sql.Tx) error {
		return createAgent(ctx, tx, a, string(pager), blocks)
	})
}

func createAgent(ctx context.Context, tx *sql.Tx, a state.Agent, pager string, blocks []state.Block) error {
	c := a.Context
	_, err := tx.ExecContext(ctx, `INSERT INTO agents (`+agentCols+`) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
		a.ID, a.Name, a.System, a.ContextWindow, a.Model, pager, a.ToolsInContext, nullJSON(a.Metadata), nanos(a.CreatedAt), nanos(a.UpdatedAt),
		c.LastSeq, c.SystemTokens, c.BlocksTokens, c.MessageTokens, c.InContext, c.Warned, c.SummaryID, c.SummaryTokens,
		a.Tenant, nullJSON(state.EncodePermissions(a.Permissions)))
	if err != nil {
		if strings.Contains(err.Error(), "UNIQUE constraint failed") {
			return fmt.Errorf("sqlitestate: agent %s: %w", a.ID, state.ErrConflict)
		}
		return fmt.Errorf("sqlitestate: create agent %s: %w", a.ID, err)
	}
	return putBlocks(ctx, tx, a.ID, blocks)
}

// GetAgent implements state.Store.
func (s *Store) GetAgent(ctx context.Context, id string) (state.Agent, error) {
	query, args := agentQuery(ctx, id)
	return agentFromRow(id, s.stmts.QueryRow(ctx, nil, query, args...))
}

type querier interface {
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
	ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error)
}

// agentQuery reads an agent, scoped as ctx is: a context scoped to a tenant finds only that
// tenant's, and one without a scope finds none.
func agentQuery(ctx context.Context, id string) (string, []any) {
	query, args := `SELECT `+agentCols+` FROM agents WHERE id = ?`, []any{id}
	if t, all := state.TenantFilter(ctx); !all {
		query, args = query+` AND tenant = ?`, append(args, t)
	}
	return query, args
}

// agentFromRow scans agent id's row, or answers ErrNotFound.
func agentFromRow(id string, row *sql.Row) (state.Agent, error) {
	a, err := scanAgent(row)
	if errors.Is(err, sql.ErrNoRows) {
		return a, fmt.Errorf("sqlitestate: agent %s: %w", id, state.ErrNotFound)
	}
	if err != nil {
		return a, fmt.Errorf("sqlitestate: get agent %s: %w", id, err)
	}
	return a, nil
}

// ListAgents implements state.Store. The cursor is the last ID of the previous page; IDs sort by
// creation time.
func (s *Store) ListAgents(ctx context.Context, opts state.ListOptions) ([]state.Agent, string, error) {
	if opts.Cursor != "" && !strings.HasPrefix(opts.Cursor, "ag_") {
		return nil, "", fmt.Errorf("sqlitestate: cursor %q: %w", opts.Cursor, state.ErrInvalid)
	}
	query, args := `SELECT `+agentCols+` FROM agents WHERE id > ?`, []any{opts.Cursor}
	if t, all := state.TenantFilter(ctx); !all {
		query, args = query+` AND tenant = ?`, append(args, t)
	}
	rows, err := s.db.QueryContext(ctx, query+` ORDER BY id LIMIT ?`, append(args, opts.Limit+1)...)
	if err != nil {
		return nil, "", fmt.Errorf("sqlitestate: list agents: %w", err)
	}
	defer rows.Close()
	var out []state.Agent
	for rows.Next() {
		a, err := scanAgent(rows)
		if err != nil {
			return nil, "", err
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	next := ""
	if len(out) > opts.Limit {
		out = out[:opts.Limit]
		next = out[len(out)-1].ID
	}
	return out, next, nil
}

// DeleteAgent implements state.Store; blocks, messages and summaries go with it (ON DELETE CASCADE),
// and so does the history of its own blocks.
func (s *Store) DeleteAgent(ctx context.Context, id string) error {
	var res sql.Result
	query, args := `DELETE FROM agents WHERE id = ?`, []any{id}
	if t, all := state.TenantFilter(ctx); !all {
		query, args = query+` AND tenant = ?`, append(args, t)
	}
	err := s.writeTx(ctx, func(tx *sql.Tx) (err error) {
		if res, err = tx.ExecContext(ctx, query, args...); err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n > 0 {
			_, err = tx.ExecContext(ctx, `DELETE FROM block_history WHERE owner = ?`, id)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlitestate: delete agent %s: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("sqlitestate: agent %s: %w", id, state.ErrNotFound)
	}
	s.recall.forget(id)
	return nil
}

// CheckEmbedder implements state.Store.
func (s *Store) CheckEmbedder(ctx context.Context, model string, dim int) error {
	want := fmt.Sprintf("%s/%d", model, dim)
	return s.writeTx(ctx, func(tx *sql.Tx) error {
		var have string
		err := tx.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = 'embedder'`).Scan(&have)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			_, err = tx.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES ('embedder', ?)`, want)
			return err
		case err != nil:
			return err
		case have != want:
			return fmt.Errorf("%w: the store was created with embedder %s (name/dimension) but memsvc was started with %s; "+
				"start with the same --embedder, or move the store to this one with memsvc reembed", state.ErrDimensionMismatch, have, want)
		}
		return nil
	})
}
