// Package stores opens the pair of stores a deployment names: the state store (agents, blocks,
// messages, summaries) and the archival store (passages). The embedded default keeps both in one
// SQLite file under a data directory; a postgres:// URL keeps both in PostgreSQL.
package stores

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/memsvc/memsvc/archival"
	"github.com/memsvc/memsvc/archival/memarchival"
	"github.com/memsvc/memsvc/archival/pgarchival"
	"github.com/memsvc/memsvc/pgdb"
	"github.com/memsvc/memsvc/sqlitedb"
	"github.com/memsvc/memsvc/state"
	"github.com/memsvc/memsvc/state/pgstate"
	"github.com/memsvc/memsvc/state/sqlitestate"
)

// Config names the stores.
type Config struct {
	// Store is "embedded" (or "") for SQLite under Data, or a postgres:// URL.
	Store string
	Data  string
	// Dim is the embedder's vector dimension.
	Dim int
	// Migrate applies pending PostgreSQL migrations (the embedded store always migrates).
	Migrate bool
	Logger  *slog.Logger
}

// IsPostgres reports whether store names PostgreSQL.
func IsPostgres(store string) bool {
	return strings.HasPrefix(store, "postgres://") || strings.HasPrefix(store, "postgresql://")
}

func (c Config) validate() error {
	if c.Store != "" && c.Store != "embedded" && !IsPostgres(c.Store) {
		return fmt.Errorf("stores: store %q: want embedded or a postgres:// URL", c.Store)
	}
	if c.Dim <= 0 {
		return fmt.Errorf("stores: vector dimension %d", c.Dim)
	}
	return nil
}

// StateStore is a state store that also keeps idempotency records (for the API).
type StateStore interface {
	state.Store
	Lookup(ctx context.Context, key string) (status int, body []byte, ok bool, err error)
	Save(ctx context.Context, key string, status int, body []byte) error
}

// Stores is an open pair. Close releases both.
type Stores struct {
	State    StateStore
	Archival archival.Store

	db   *sql.DB
	ckpt *sqlitedb.Checkpointer
	pool *pgxpool.Pool
}

// Open opens the stores cfg names, migrating them first, and starts the embedded store's
// background checkpoints.
func Open(ctx context.Context, cfg Config) (*Stores, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	s := &Stores{}
	if err := s.open(ctx, cfg); err != nil {
		return nil, errors.Join(err, s.Close())
	}
	return s, nil
}

func (s *Stores) open(ctx context.Context, cfg Config) error {
	if IsPostgres(cfg.Store) {
		pool, err := pgdb.Open(ctx, pgdb.Config{URL: cfg.Store, Dim: cfg.Dim, Migrate: cfg.Migrate})
		if err != nil {
			return err
		}
		s.pool = pool
		s.State = pgstate.New(pool)
		s.Archival = pgarchival.New(pool, cfg.Dim)
		return nil
	}
	db, err := sqlitedb.Open(ctx, cfg.Data)
	if err != nil {
		return err
	}
	s.db = db
	s.ckpt = &sqlitedb.Checkpointer{DB: db, Logger: cfg.Logger}
	if err := s.ckpt.Start(ctx); err != nil {
		return err
	}
	s.State = sqlitestate.New(db)
	s.Archival, err = memarchival.New(ctx, db, cfg.Dim)
	return err
}

// Migrate applies the pending migrations of the stores cfg names and returns how many.
func Migrate(ctx context.Context, cfg Config) (int, error) {
	if err := cfg.validate(); err != nil {
		return 0, err
	}
	if IsPostgres(cfg.Store) {
		return pgdb.Migrate(ctx, cfg.Store, cfg.Dim)
	}
	db, err := sqlitedb.Open(ctx, cfg.Data)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	var n int
	err = db.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations`).Scan(&n)
	return n, err
}

// Ping reports whether the state store answers.
func (s *Stores) Ping(ctx context.Context) error { return s.State.Ping(ctx) }

// Close stops background work and closes the stores.
func (s *Stores) Close() error {
	var errs []error
	if s.ckpt != nil {
		errs = append(errs, s.ckpt.Stop())
		s.ckpt = nil
	}
	if s.db != nil {
		errs = append(errs, s.db.Close())
		s.db = nil
	}
	if s.pool != nil {
		s.pool.Close()
		s.pool = nil
	}
	return errors.Join(errs...)
}
