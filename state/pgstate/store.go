// Package pgstate is the PostgreSQL state.Store: agents, blocks, messages and summaries in the
// tables of migrations/postgres, so that several memsvc replicas can share one database.
//
// Page serializes paging steps per agent with a row lock on the agent (see Store.Page); every
// other method is a single statement or a short transaction. Recall search pairs full-text
// search over messages.tsv with pgvector's exact cosine distance (see Store.SearchMessages).
//
// Every error that means the database cannot be reached wraps pgdb.ErrUnavailable (see
// pgdb.Classify); the contract's sentinel errors are wrapped as in every state.Store.
package pgstate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/memsvc/memsvc/pgdb"
	"github.com/memsvc/memsvc/state"
)

// Store is the PostgreSQL state store.
type Store struct {
	pool *pgxpool.Pool
}

var _ state.Store = (*Store)(nil)

// New returns a Store over a pool opened (and migrated) by pgdb.Open. Close closes the pool.
func New(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

// Close closes the pool.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// Ping reports whether the database answers; ErrUnavailable when it does not.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return wrap("ping", err)
	}
	return nil
}

// wrap names the operation and classifies err, so that connection failures wrap pgdb.ErrUnavailable.
func wrap(op string, err error) error {
	return fmt.Errorf("pgstate: %s: %w", op, pgdb.Classify(err))
}

// isUniqueViolation reports whether err is a unique_violation (SQLSTATE 23505).
func isUniqueViolation(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23505"
}

// querier is what the pool and a transaction have in common.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

type scanner interface{ Scan(dest ...any) error }

// nullJSON turns an empty JSON value into SQL NULL.
func nullJSON(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return b
}

const agentCols = `id, name, system, context_window, model, pager, tools_in_context, metadata, created_at, updated_at,
	last_seq, system_tokens, blocks_tokens, message_tokens, in_context, warned, summary_id, summary_tokens, tenant, permissions`

func scanAgent(r scanner) (state.Agent, error) {
	var a state.Agent
	var pager, meta, perms []byte
	c := &a.Context
	err := r.Scan(&a.ID, &a.Name, &a.System, &a.ContextWindow, &a.Model, &pager, &a.ToolsInContext, &meta, &a.CreatedAt,
		&a.UpdatedAt, &c.LastSeq, &c.SystemTokens, &c.BlocksTokens, &c.MessageTokens, &c.InContext, &c.Warned, &c.SummaryID,
		&c.SummaryTokens, &a.Tenant, &perms)
	if err != nil {
		return a, err
	}
	if a.Permissions, err = state.DecodePermissions(perms); err != nil {
		return a, fmt.Errorf("pgstate: agent %s permissions: %w", a.ID, err)
	}
	if err := json.Unmarshal(pager, &a.Pager); err != nil {
		return a, fmt.Errorf("pgstate: agent %s pager: %w", a.ID, err)
	}
	if meta != nil {
		a.Metadata = json.RawMessage(meta)
	}
	a.CreatedAt, a.UpdatedAt = a.CreatedAt.UTC(), a.UpdatedAt.UTC()
	return a, nil
}

// CreateAgent implements state.Store.
func (s *Store) CreateAgent(ctx context.Context, a state.Agent, blocks []state.Block) error {
	pager, err := json.Marshal(a.Pager)
	if err != nil {
		return fmt.Errorf("pgstate: agent %s pager: %w", a.ID, err)
	}
	c := a.Context
	a.Tenant = state.AgentTenant(ctx, a.Tenant)
	b := &batch{}
	b.queue("create agent "+a.ID, `INSERT INTO agents (`+agentCols+`) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20)`,
		a.ID, a.Name, a.System, a.ContextWindow, a.Model, pager, a.ToolsInContext, nullJSON(a.Metadata), a.CreatedAt,
		a.UpdatedAt, c.LastSeq, c.SystemTokens, c.BlocksTokens, c.MessageTokens, c.InContext, c.Warned, c.SummaryID,
		c.SummaryTokens, a.Tenant, nullJSON(state.EncodePermissions(a.Permissions)))
	queueBlocks(b, a.ID, blocks)
	// A batch outside a transaction runs as one implicit transaction: the agent and its blocks
	// land together or not at all.
	if err := b.send(ctx, s.pool); err != nil {
		if isUniqueViolation(err) {
			return fmt.Errorf("pgstate: agent %s: %w", a.ID, state.ErrConflict)
		}
		return err
	}
	return nil
}

// GetAgent implements state.Store.
func (s *Store) GetAgent(ctx context.Context, id string) (state.Agent, error) {
	return getAgent(ctx, s.pool, id, "")
}

// getAgent reads an agent, with lock appended to the query ("" or "FOR UPDATE"); a context
// scoped to a tenant finds only that tenant's.
func getAgent(ctx context.Context, q querier, id, lock string) (state.Agent, error) {
	query, args := `SELECT `+agentCols+` FROM agents WHERE id = $1`, []any{id}
	if t, all := state.TenantFilter(ctx); !all {
		query, args = query+` AND tenant = $2`, append(args, t)
	}
	a, err := scanAgent(q.QueryRow(ctx, query+` `+lock, args...))
	if errors.Is(err, pgx.ErrNoRows) {
		return a, fmt.Errorf("pgstate: agent %s: %w", id, state.ErrNotFound)
	}
	if err != nil {
		return a, wrap("get agent "+id, err)
	}
	return a, nil
}

// defaultListLimit applies when ListOptions.Limit is not positive.
const defaultListLimit = 100

// ListAgents implements state.Store. The cursor is the last ID of the previous page; IDs sort by
// creation time. IDs are compared in the "C" collation (byte order), as NewID's ordering is
// defined on bytes and a database's default collation need not agree.
func (s *Store) ListAgents(ctx context.Context, opts state.ListOptions) ([]state.Agent, string, error) {
	if opts.Cursor != "" && !strings.HasPrefix(opts.Cursor, "ag_") {
		return nil, "", fmt.Errorf("pgstate: cursor %q: %w", opts.Cursor, state.ErrInvalid)
	}
	limit := opts.Limit
	if limit <= 0 {
		limit = defaultListLimit
	}
	query, args := `SELECT `+agentCols+` FROM agents WHERE id COLLATE "C" > $1`, []any{opts.Cursor, limit + 1}
	if t, all := state.TenantFilter(ctx); !all {
		query, args = query+` AND tenant = $3`, append(args, t)
	}
	rows, err := s.pool.Query(ctx, query+` ORDER BY id COLLATE "C" LIMIT $2`, args...)
	if err != nil {
		return nil, "", wrap("list agents", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (state.Agent, error) { return scanAgent(r) })
	if err != nil {
		return nil, "", wrap("list agents", err)
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		next = out[len(out)-1].ID
	}
	return out, next, nil
}

// DeleteAgent implements state.Store; blocks, messages and summaries go with it (ON DELETE
// CASCADE), and so does the history of its own blocks. It waits for a Page in progress on the
// agent, whose row lock it needs.
func (s *Store) DeleteAgent(ctx context.Context, id string) error {
	query, args := `WITH gone AS (DELETE FROM agents WHERE id = $1`, []any{id}
	if t, all := state.TenantFilter(ctx); !all {
		query, args = query+` AND tenant = $2`, append(args, t)
	}
	query += ` RETURNING id), hist AS (DELETE FROM block_history WHERE owner IN (SELECT id FROM gone))
		SELECT id FROM gone`
	tag, err := s.pool.Exec(ctx, query, args...)
	if err != nil {
		return wrap("delete agent "+id, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("pgstate: agent %s: %w", id, state.ErrNotFound)
	}
	return nil
}

// CheckEmbedder implements state.Store. The embedder is recorded in meta as "model/dim"; the
// first replica to start records it and every later one compares. It is independent of meta's
// vector_dim, which pgdb.Open checks against the column type.
func (s *Store) CheckEmbedder(ctx context.Context, model string, dim int) error {
	want := fmt.Sprintf("%s/%d", model, dim)
	// ON CONFLICT waits for a concurrent first insert to commit, and the SELECT, a new statement,
	// then sees it.
	if _, err := s.pool.Exec(ctx, `INSERT INTO meta (key, value) VALUES ('embedder', $1) ON CONFLICT (key) DO NOTHING`,
		want); err != nil {
		return wrap("record embedder", err)
	}
	var have string
	if err := s.pool.QueryRow(ctx, `SELECT value FROM meta WHERE key = 'embedder'`).Scan(&have); err != nil {
		return wrap("read embedder", err)
	}
	if have != want {
		return fmt.Errorf("%w: the store was created with embedder %s (name/dimension) but memsvc was started with %s; "+
			"start with the same --embedder, or move the store to this one with memsvc reembed", state.ErrDimensionMismatch, have, want)
	}
	return nil
}
