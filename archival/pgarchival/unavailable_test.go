package pgarchival_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/memsvc/memsvc/archival"
	"github.com/memsvc/memsvc/archival/pgarchival"
	"github.com/memsvc/memsvc/pgdb"
	"github.com/memsvc/memsvc/pgdb/pgdbtest"
)

// calls runs every method of s once and returns their errors by name.
func calls(s *pgarchival.Store) map[string]error {
	ctx := context.Background()
	errs := map[string]error{}
	errs["Upsert"] = s.Upsert(ctx, []archival.Passage{{ID: "p", AgentID: "a", Text: "text", Vector: unit(0)}})
	_, errs["Get"] = s.Get(ctx, "a", "p")
	_, errs["History"] = s.History(ctx, "a", "p")
	errs["Delete"] = s.Delete(ctx, "a", "p")
	errs["DeleteAgent"] = s.DeleteAgent(ctx, "a")
	_, errs["Count"] = s.Count(ctx, "a")
	for name, q := range map[string]archival.Query{
		"dense":   {AgentID: "a", Vector: unit(0), K: 5},
		"lexical": {AgentID: "a", Text: "text", K: 5},
		"hybrid":  {AgentID: "a", Text: "text", Vector: unit(0), K: 5},
	} {
		_, errs["Search "+name] = s.Search(ctx, q)
	}
	return errs
}

func wantUnavailable(t *testing.T, errs map[string]error) {
	t.Helper()
	for name, err := range errs {
		if !errors.Is(err, pgdb.ErrUnavailable) || !errors.Is(err, archival.ErrUnavailable) {
			t.Errorf("%s: %v, want one wrapping pgdb.ErrUnavailable (and archival.ErrUnavailable)", name, err)
		}
	}
}

// TestUnreachable: with no server listening, every method answers an error that wraps
// pgdb.ErrUnavailable, which the API turns into 503. It needs no database.
func TestUnreachable(t *testing.T) {
	pool, err := pgxpool.New(context.Background(), "postgres://memsvc:memsvc@127.0.0.1:1/memsvc?sslmode=disable&connect_timeout=2")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	wantUnavailable(t, calls(pgarchival.New(pool, dim)))
}

// TestConnectionsKilled: when the server terminates the pool's connections (a restart, a
// failover), the calls that hit a dead connection answer ErrUnavailable, and the pool recovers.
func TestConnectionsKilled(t *testing.T) {
	ctx := context.Background()
	app := fmt.Sprintf("pgarchival_killed_%p", t)
	pool, err := pgdb.Open(ctx, pgdb.Config{URL: pgdbtest.Schema(t) + "&application_name=" + app, Dim: dim, Migrate: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	s := pgarchival.New(pool, dim)
	for name, err := range calls(s) {
		if err != nil && !errors.Is(err, archival.ErrNotFound) {
			t.Fatalf("%s before the kill: %v", name, err)
		}
	}
	admin, err := pgxpool.New(ctx, pgdbtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	kill := func() int {
		var n int
		if err := admin.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
			WHERE application_name = $1`, app).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := kill(); n == 0 {
		t.Fatal("no connection of the pool to terminate")
	}
	_, err = s.Search(ctx, archival.Query{AgentID: "a", Text: "text", Vector: unit(0), K: 5})
	if !errors.Is(err, pgdb.ErrUnavailable) {
		t.Errorf("Search on a terminated connection: %v, want ErrUnavailable", err)
	}
	for name, err := range calls(s) {
		if err != nil && !errors.Is(err, archival.ErrNotFound) {
			t.Errorf("%s after the pool recovered: %v", name, err)
		}
	}
}
