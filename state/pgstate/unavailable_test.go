package pgstate_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/memsvc/memsvc/pgdb"
	"github.com/memsvc/memsvc/state"
	"github.com/memsvc/memsvc/state/pgstate"
)

// TestUnavailable checks that a database that cannot be reached answers pgdb.ErrUnavailable
// quickly, rather than a bare network error or a hang. Port 1 on loopback refuses connections.
func TestUnavailable(t *testing.T) {
	pool, err := pgxpool.New(state.AllTenants(context.Background()), "postgres://memsvc:memsvc@127.0.0.1:1/memsvc?sslmode=disable&connect_timeout=2")
	if err != nil {
		t.Fatal(err)
	}
	s := pgstate.New(pool)
	defer s.Close()
	ctx, cancel := context.WithTimeout(state.AllTenants(context.Background()), 10*time.Second)
	defer cancel()
	start := time.Now()
	if _, err := s.GetAgent(ctx, "ag_x"); !errors.Is(err, pgdb.ErrUnavailable) {
		t.Errorf("GetAgent: %v, want ErrUnavailable", err)
	}
	err = s.Page(ctx, "ag_x", func(context.Context, state.Page) (state.Change, error) {
		t.Error("fn must not run without a database")
		return state.Change{}, nil
	})
	if !errors.Is(err, pgdb.ErrUnavailable) {
		t.Errorf("Page: %v, want ErrUnavailable", err)
	}
	if err := s.Ping(ctx); !errors.Is(err, pgdb.ErrUnavailable) {
		t.Errorf("Ping: %v, want ErrUnavailable", err)
	}
	if d := time.Since(start); d > 8*time.Second {
		t.Errorf("took %v to notice the database is down", d)
	}
}
