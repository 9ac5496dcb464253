package sqlitedb

import (
	"context"
	"database/sql"
	"sync"
)

// Stmts hands out statements prepared once per database. database/sql then prepares each once
// per connection and reuses it, where ExecContext and QueryContext parse the SQL on every call:
// with the pure-Go SQLite, parsing was an eighth of an append's time and a fifth of an archival
// batch's. Use it for the statements of hot paths. Safe for concurrent use.
type Stmts struct {
	db *sql.DB
	mu sync.Mutex
	m  map[string]*sql.Stmt
}

// NewStmts returns an empty cache over db.
func NewStmts(db *sql.DB) *Stmts { return &Stmts{db: db, m: make(map[string]*sql.Stmt)} }

// get returns query prepared on the database.
func (c *Stmts) get(ctx context.Context, query string) (*sql.Stmt, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if st := c.m[query]; st != nil {
		return st, nil
	}
	st, err := c.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	c.m[query] = st
	return st, nil
}

// in returns query's statement for tx, or for the database when tx is nil.
func (c *Stmts) in(ctx context.Context, tx *sql.Tx, query string) (*sql.Stmt, error) {
	st, err := c.get(ctx, query)
	if err != nil || tx == nil {
		return st, err
	}
	return tx.StmtContext(ctx, st), nil
}

// Exec runs query in tx (nil: on the database).
func (c *Stmts) Exec(ctx context.Context, tx *sql.Tx, query string, args ...any) (sql.Result, error) {
	st, err := c.in(ctx, tx, query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

// Query runs query in tx (nil: on the database).
func (c *Stmts) Query(ctx context.Context, tx *sql.Tx, query string, args ...any) (*sql.Rows, error) {
	st, err := c.in(ctx, tx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

// QueryRow runs query in tx (nil: on the database). A statement that cannot be prepared runs
// unprepared, so that its error comes back from the row's Scan, as QueryRowContext's does.
func (c *Stmts) QueryRow(ctx context.Context, tx *sql.Tx, query string, args ...any) *sql.Row {
	st, err := c.in(ctx, tx, query)
	if err != nil {
		if tx != nil {
			return tx.QueryRowContext(ctx, query, args...)
		}
		return c.db.QueryRowContext(ctx, query, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

// Close closes every statement; the cache stays usable and prepares again.
func (c *Stmts) Close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for q, st := range c.m {
		st.Close()
		delete(c.m, q)
	}
}
