// Package pgdb connects memsvc to PostgreSQL: it applies the embedded migrations on a plain
// connection first (pgvector's types can only be registered once the extension exists), then
// opens a pgx pool whose connections register pgvector's types.
package pgdb

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	pgxvec "github.com/pgvector/pgvector-go/pgx"

	"github.com/memsvc/memsvc/archival"
	"github.com/memsvc/memsvc/migrations"
	"github.com/memsvc/memsvc/state"
)

// ErrUnavailable marks errors that mean the database cannot be reached right now (down,
// restarting, refusing connections). Callers answer 503 and retry later. It matches the
// contracts' sentinels too: errors.Is(err, state.ErrUnavailable) and
// errors.Is(err, archival.ErrUnavailable) hold for it.
var ErrUnavailable error = unavailable{}

type unavailable struct{}

func (unavailable) Error() string { return "pgdb: database unavailable" }

func (unavailable) Is(target error) bool {
	return target == state.ErrUnavailable || target == archival.ErrUnavailable
}

// Config configures Open.
type Config struct {
	URL     string
	Dim     int  // the embedder's vector dimension
	Migrate bool // apply pending migrations first
	// MaxConns bounds the pool (default pgx's: max(4, GOMAXPROCS)).
	MaxConns int32
}

// Migrate applies pending migrations to the database at url.
func Migrate(ctx context.Context, url string, dim int) (int, error) {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return 0, Classify(fmt.Errorf("pgdb: connect: %w", err))
	}
	defer conn.Close(context.WithoutCancel(ctx))
	return migrations.ApplyPostgres(ctx, conn, dim)
}

// StoredDim returns the vector dimension the database at url was made with, or 0 when it has no
// schema yet.
func StoredDim(ctx context.Context, url string) (int, error) {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return 0, Classify(fmt.Errorf("pgdb: connect: %w", err))
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT to_regclass('meta') IS NOT NULL`).Scan(&exists); err != nil || !exists {
		return 0, Classify(err)
	}
	var dim int
	err = conn.QueryRow(ctx, `SELECT value::int FROM meta WHERE key = 'vector_dim'`).Scan(&dim)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, Classify(fmt.Errorf("pgdb: read vector_dim: %w", err))
	}
	return dim, nil
}

// Open migrates (when cfg.Migrate) and returns a pool with pgvector's types registered.
func Open(ctx context.Context, cfg Config) (*pgxpool.Pool, error) {
	if cfg.Migrate {
		if _, err := Migrate(ctx, cfg.URL, cfg.Dim); err != nil {
			return nil, err
		}
	}
	pc, err := pgxpool.ParseConfig(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("pgdb: parse url: %w", err)
	}
	if cfg.MaxConns > 0 {
		pc.MaxConns = cfg.MaxConns
	}
	if pc.ConnConfig.ConnectTimeout == 0 {
		pc.ConnConfig.ConnectTimeout = 5 * time.Second
	}
	pc.AfterConnect = func(ctx context.Context, conn *pgx.Conn) error {
		return pgxvec.RegisterTypes(ctx, conn)
	}
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("pgdb: open pool: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, Classify(fmt.Errorf("pgdb: ping: %w", err))
	}
	var have int
	if err := pool.QueryRow(ctx, `SELECT value::int FROM meta WHERE key = 'vector_dim'`).Scan(&have); err != nil {
		pool.Close()
		return nil, fmt.Errorf("pgdb: read vector_dim (run memsvc migrate?): %w", err)
	}
	if have != cfg.Dim {
		pool.Close()
		return nil, fmt.Errorf("pgdb: the database stores %d-dimensional vectors but the embedder makes %d; "+
			"start with the embedder the database was created with, or move it to this one with memsvc reembed", have, cfg.Dim)
	}
	return pool, nil
}

// Classify wraps err with ErrUnavailable when it means the server cannot be reached: a failed
// connect, a dropped connection, or the server shutting down or starting up.
func Classify(err error) error {
	if err == nil || errors.Is(err, ErrUnavailable) {
		return err
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code[:2] {
		case "08", "57": // connection exception; operator intervention (admin shutdown, cannot connect now)
			return errors.Join(ErrUnavailable, err)
		}
		return err
	}
	var connectErr *pgconn.ConnectError
	var netErr net.Error
	if errors.As(err, &connectErr) || errors.As(err, &netErr) || pgconn.SafeToRetry(err) || pgconn.Timeout(err) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) || errors.Is(err, pgx.ErrTxClosed) ||
		errors.Is(err, pgconn.ErrConnClosed) {
		return errors.Join(ErrUnavailable, err)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return errors.Join(ErrUnavailable, err)
	}
	return err
}
