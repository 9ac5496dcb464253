// Package stores opens the pair of stores a deployment names: the state store (agents, blocks,
// messages, summaries) and the archival store (passages). The embedded default keeps both in one
// SQLite file under a data directory; a postgres:// URL keeps both in PostgreSQL. An archival
// qdrant:// URL keeps the passages in Qdrant instead, with the outbox of their writes and their
// history in the state store's database (see package qdrantarchival).
package stores

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/memsvc/memsvc/archival"
	"github.com/memsvc/memsvc/archival/memarchival"
	"github.com/memsvc/memsvc/archival/outbox"
	"github.com/memsvc/memsvc/archival/outbox/pgoutbox"
	"github.com/memsvc/memsvc/archival/outbox/sqliteoutbox"
	"github.com/memsvc/memsvc/archival/pgarchival"
	"github.com/memsvc/memsvc/archival/qdrantarchival"
	"github.com/memsvc/memsvc/embed"
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
	// Archival is "" to keep passages in the state store, or a qdrant://host:port[/collection]
	// URL to keep them in Qdrant.
	Archival string
	// Dim is the embedder's vector dimension.
	Dim int
	// StoredDim opens an existing store with the dimension it records instead of Dim, which then
	// only makes a new store (a command that embeds nothing, such as memsvc keys).
	StoredDim bool
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
	if err := CheckArchival(c.Archival); err != nil {
		return err
	}
	if c.Dim <= 0 {
		return fmt.Errorf("stores: vector dimension %d", c.Dim)
	}
	return nil
}

// CheckArchival reports whether archival names an archival store: "" (the state store's own) or
// a qdrant:// URL.
func CheckArchival(archival string) error {
	if archival == "" {
		return nil
	}
	if _, err := qdrantarchival.ParseURL(archival); err != nil {
		return fmt.Errorf("stores: archival %q: want empty or qdrant://host:port[/collection]: %w", archival, err)
	}
	return nil
}

// StateStore is a state store that also keeps idempotency records (for the API).
type StateStore interface {
	state.Store
	state.CompactionStore
	state.IdempotencyStore
}

// Stores is an open pair. Close releases both.
type Stores struct {
	State    StateStore
	Archival archival.Store

	db     *sql.DB
	unlock func() error // releases the data directory's shared lock (lockData)
	jobs   *sql.DB      // the job queue's own database beside db (sqlitedb.OpenJobs)
	ckpt   *sqlitedb.Checkpointer
	pool   *pgxpool.Pool
	qdrant *qdrantarchival.Store
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
		if cfg.StoredDim {
			dim, err := pgdb.StoredDim(ctx, cfg.Store)
			if err != nil {
				return err
			}
			if dim > 0 {
				cfg.Dim = dim
			}
		}
		pool, err := pgdb.Open(ctx, pgdb.Config{URL: cfg.Store, Dim: cfg.Dim, Migrate: cfg.Migrate})
		if err != nil {
			return err
		}
		s.pool = pool
		if cfg.Migrate {
			if err := migrateRiverPostgres(ctx, pool); err != nil {
				return err
			}
		}
		s.State = pgstate.New(pool)
		if cfg.Archival != "" {
			return s.openQdrant(ctx, cfg, pgoutbox.New(pool))
		}
		s.Archival = pgarchival.New(pool, cfg.Dim)
		return nil
	}
	unlock, err := lockData(cfg.Data, false)
	if errors.Is(err, errLocked) {
		return fmt.Errorf("stores: %s is being re-embedded (memsvc reembed); start once it has finished", cfg.Data)
	}
	if err != nil {
		return err
	}
	s.unlock = unlock
	db, err := sqlitedb.Open(ctx, cfg.Data)
	if err != nil {
		return err
	}
	s.db = db
	// Checked before the archival store loads its vectors, so that a store made under another
	// embedder is refused with the embedders' names.
	var have string
	if err := db.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = 'embedder'`).Scan(&have); err == nil && cfg.StoredDim {
		if n, err := strconv.Atoi(have[strings.LastIndex(have, "/")+1:]); err == nil && n > 0 {
			cfg.Dim = n
		}
	}
	if have != "" && !strings.HasSuffix(have, fmt.Sprintf("/%d", cfg.Dim)) {
		same := "the same --embedder"
		if strings.HasPrefix(have, embed.BuiltinModel+"/") {
			same = "--embedder glove (the default before 2026-12-07)"
		}
		return fmt.Errorf("%w: the store was created with embedder %s (name/dimension), whose vectors are not %d-d; "+
			"start with %s, or move the store to this one with memsvc reembed", state.ErrDimensionMismatch, have, cfg.Dim, same)
	}
	if s.jobs, err = sqlitedb.OpenJobs(ctx, cfg.Data); err != nil {
		return err
	}
	if err := migrateRiverSQLite(ctx, s.jobs); err != nil {
		return err
	}
	s.ckpt = &sqlitedb.Checkpointer{DB: db, Logger: cfg.Logger}
	if err := s.ckpt.Start(ctx); err != nil {
		return err
	}
	s.State = sqlitestate.New(db)
	if cfg.Archival != "" {
		return s.openQdrant(ctx, cfg, sqliteoutbox.New(db))
	}
	s.Archival, err = memarchival.New(ctx, db, cfg.Dim)
	return err
}

// openQdrant opens the Qdrant archival store, whose outbox and history live in the state store's
// database, applies the writes a previous run left pending, and starts the periodic drain.
func (s *Stores) openQdrant(ctx context.Context, cfg Config, ob outbox.Store) error {
	qc, err := qdrantarchival.ParseURL(cfg.Archival)
	if err != nil {
		return err
	}
	qc.Dim, qc.Outbox, qc.Logger = cfg.Dim, ob, cfg.Logger
	q, err := qdrantarchival.New(ctx, qc)
	if err != nil {
		return err
	}
	s.qdrant = q
	s.Archival = q
	return q.Start(ctx)
}

// Migrate applies the pending migrations of the stores cfg names and returns how many.
func Migrate(ctx context.Context, cfg Config) (int, error) {
	if err := cfg.validate(); err != nil {
		return 0, err
	}
	if IsPostgres(cfg.Store) {
		if cfg.StoredDim {
			dim, err := pgdb.StoredDim(ctx, cfg.Store)
			if err != nil {
				return 0, err
			}
			if dim > 0 {
				cfg.Dim = dim
			}
		}
		n, err := pgdb.Migrate(ctx, cfg.Store, cfg.Dim)
		if err != nil {
			return n, err
		}
		return n, migrateRiverURL(ctx, cfg.Store)
	}
	db, err := sqlitedb.Open(ctx, cfg.Data)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	jobs, err := sqlitedb.OpenJobs(ctx, cfg.Data)
	if err != nil {
		return 0, err
	}
	defer jobs.Close()
	if err := migrateRiverSQLite(ctx, jobs); err != nil {
		return 0, err
	}
	var n int
	err = db.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations`).Scan(&n)
	return n, err
}

// Ping reports whether the state store answers, and Qdrant when archival lives there.
func (s *Stores) Ping(ctx context.Context) error {
	if err := s.State.Ping(ctx); err != nil {
		return err
	}
	if s.qdrant != nil {
		return s.qdrant.Ping(ctx)
	}
	return nil
}

// Close stops background work and closes the stores.
func (s *Stores) Close() error {
	var errs []error
	if s.qdrant != nil { // first: its drain writes to the state store's database
		errs = append(errs, s.qdrant.Close())
		s.qdrant = nil
	}
	if s.ckpt != nil {
		errs = append(errs, s.ckpt.Stop())
		s.ckpt = nil
	}
	if s.db != nil {
		errs = append(errs, s.db.Close())
		s.db = nil
	}
	if s.jobs != nil {
		errs = append(errs, s.jobs.Close())
		s.jobs = nil
	}
	if s.pool != nil {
		s.pool.Close()
		s.pool = nil
	}
	if s.unlock != nil { // last: the files are closed
		errs = append(errs, s.unlock())
		s.unlock = nil
	}
	return errors.Join(errs...)
}
