package stores

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"
)

// JobQueue is a River client: the riversqlite driver (through database/sql and modernc.org/sqlite)
// over the embedded store's job database, a file of its own beside memsvc.db (sqlitedb.OpenJobs
// says why), or riverpgxv5 over the PostgreSQL state store's database, its tables beside
// memsvc's. rivermigrate migrates them when the stores open.
type JobQueue interface {
	Insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
	Start(ctx context.Context) error
	Stop(ctx context.Context) error
	StopAndCancel(ctx context.Context) error
}

// NewJobQueue returns a River client over the stores' job database, configured by cfg (its
// workers and queues). The stores must stay open while it runs.
func (s *Stores) NewJobQueue(cfg *river.Config) (JobQueue, error) {
	switch {
	case s.pool != nil:
		return river.NewClient(riverpgxv5.New(s.pool), cfg)
	case s.jobs != nil:
		return river.NewClient(riversqlite.New(s.jobs), cfg)
	}
	return nil, errors.New("stores: not open")
}

// riverLockKey serializes River's migrations between replicas starting together ("memsvr").
const riverLockKey = 0x6d656d737672

// migrateRiverPostgres applies River's pending migrations, holding a session advisory lock so
// that replicas starting together do not race.
func migrateRiverPostgres(ctx context.Context, pool *pgxpool.Pool) error {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("stores: river migrations: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, int64(riverLockKey)); err != nil {
		return fmt.Errorf("stores: river migrations: lock: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, int64(riverLockKey))
	m, err := rivermigrate.New(riverpgxv5.New(pool), nil)
	if err != nil {
		return fmt.Errorf("stores: river migrations: %w", err)
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("stores: river migrations: %w", err)
	}
	return nil
}

// migrateRiverSQLite applies River's pending migrations to the embedded job database.
func migrateRiverSQLite(ctx context.Context, db *sql.DB) error {
	m, err := rivermigrate.New(riversqlite.New(db), nil)
	if err != nil {
		return fmt.Errorf("stores: river migrations: %w", err)
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("stores: river migrations: %w", err)
	}
	return nil
}

// migrateRiverURL applies River's pending migrations to the PostgreSQL database at url.
func migrateRiverURL(ctx context.Context, url string) error {
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		return fmt.Errorf("stores: river migrations: %w", err)
	}
	defer pool.Close()
	return migrateRiverPostgres(ctx, pool)
}
