// Package pgdbtest gives each test its own PostgreSQL schema in the database named by
// TEST_DATABASE_URL (see scripts/setup-postgres). Without the variable a test skips, unless
// MEMSVC_REQUIRE_BACKENDS=1 (as in CI), where it fails.
package pgdbtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/memsvc/memsvc/pgdb"
)

// URL returns TEST_DATABASE_URL, or skips (fails in CI) when it is unset.
func URL(t testing.TB) string {
	t.Helper()
	u := os.Getenv("TEST_DATABASE_URL")
	if u == "" {
		if os.Getenv("MEMSVC_REQUIRE_BACKENDS") == "1" {
			t.Fatal("TEST_DATABASE_URL is unset but MEMSVC_REQUIRE_BACKENDS=1: run scripts/setup-postgres")
		}
		t.Skip("TEST_DATABASE_URL is unset: run `eval \"$(scripts/setup-postgres)\"` to test against PostgreSQL")
	}
	return u
}

var nonIdent = regexp.MustCompile(`[^a-z0-9_]+`)

// Schema creates an empty schema for this test, dropped when it ends, and returns a database URL
// whose connections use it (with public, where the vector extension lives, after it).
func Schema(t testing.TB) string {
	t.Helper()
	base := URL(t)
	ctx := context.Background()
	var b [4]byte
	_, _ = rand.Read(b[:])
	name := nonIdent.ReplaceAllString(strings.ToLower(t.Name()), "_")
	// Keep the schema name short: River names a notification channel "<schema>.river_insert",
	// and PostgreSQL cuts identifiers at 63 bytes.
	if len(name) > 24 {
		name = name[len(name)-24:]
	}
	schema := "t_" + strings.Trim(name, "_") + "_" + hex.EncodeToString(b[:])
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("pgdbtest: connect: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `CREATE EXTENSION IF NOT EXISTS vector SCHEMA public`); err != nil {
		t.Fatalf("pgdbtest: create extension: %v", err)
	}
	// A test's schema comes first on its search path and public second (for the vector type),
	// so memsvc's tables in public (left by a run of the service or the bench against the test
	// database itself) would be found in place of the test's own and its migrations skipped.
	var stray int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM information_schema.tables
		WHERE table_schema = 'public' AND table_name IN ('schema_migrations', 'meta', 'passages')`).Scan(&stray); err != nil {
		t.Fatalf("pgdbtest: look for tables in public: %v", err)
	}
	if stray > 0 {
		t.Fatalf("pgdbtest: the test database's public schema holds memsvc's tables (a run against it without a schema left them); drop them: psql %q -c 'DROP SCHEMA public CASCADE' -c 'CREATE SCHEMA public'", base)
	}
	if _, err := conn.Exec(ctx, `CREATE SCHEMA `+pgx.Identifier{schema}.Sanitize()); err != nil {
		t.Fatalf("pgdbtest: create schema: %v", err)
	}
	t.Cleanup(func() {
		conn, err := pgx.Connect(context.Background(), base)
		if err != nil {
			t.Errorf("pgdbtest: connect for cleanup: %v", err)
			return
		}
		defer conn.Close(context.Background())
		if _, err := conn.Exec(context.Background(), `DROP SCHEMA `+pgx.Identifier{schema}.Sanitize()+` CASCADE`); err != nil {
			t.Errorf("pgdbtest: drop schema: %v", err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("pgdbtest: parse url: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema+",public")
	u.RawQuery = q.Encode()
	return u.String()
}

// Pool returns a migrated pool on a fresh schema for this test, closed when it ends.
func Pool(t testing.TB, dim int) *pgxpool.Pool {
	t.Helper()
	pool, err := pgdb.Open(context.Background(), pgdb.Config{URL: Schema(t), Dim: dim, Migrate: true})
	if err != nil {
		t.Fatalf("pgdbtest: open: %v", err)
	}
	t.Cleanup(pool.Close)
	return pool
}
