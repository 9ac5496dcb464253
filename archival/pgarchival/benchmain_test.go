package pgarchival_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/memsvc/memsvc/pgdb"
	"github.com/memsvc/memsvc/pgdb/pgdbtest"
)

// TestMain drops the schemas that the benchmarks share (see loadedDB) once everything has run,
// unless MEMSVC_BENCH_KEEP is set (to inspect plans in psql afterwards).
func TestMain(m *testing.M) {
	code := m.Run()
	for _, drop := range benchCleanups {
		drop()
	}
	os.Exit(code)
}

var benchCleanups []func()

// benchPool returns a migrated pool on a new schema named after name that outlives the
// benchmark (pgdbtest.Schema drops its schema when its test ends), dropped by TestMain.
func benchPool(b *testing.B, name string) *pgxpool.Pool {
	b.Helper()
	base := pgdbtest.URL(b)
	ctx := context.Background()
	var r [4]byte
	_, _ = rand.Read(r[:])
	schema := "pgarchival_" + name + "_" + hex.EncodeToString(r[:])
	exec := func(sql string) error {
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			return err
		}
		defer conn.Close(ctx)
		_, err = conn.Exec(ctx, sql)
		return err
	}
	if err := exec(`CREATE SCHEMA ` + pgx.Identifier{schema}.Sanitize()); err != nil {
		b.Fatal(err)
	}
	u, err := url.Parse(base)
	if err != nil {
		b.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema+",public")
	u.RawQuery = q.Encode()
	pool, err := pgdb.Open(ctx, pgdb.Config{URL: u.String(), Dim: dim, Migrate: true})
	if err != nil {
		b.Fatal(err)
	}
	benchCleanups = append(benchCleanups, func() {
		pool.Close()
		if os.Getenv("MEMSVC_BENCH_KEEP") != "" {
			fmt.Fprintf(os.Stderr, "pgarchival: kept bench schema %s (MEMSVC_BENCH_KEEP)\n", schema)
			return
		}
		if err := exec(`DROP SCHEMA ` + pgx.Identifier{schema}.Sanitize() + ` CASCADE`); err != nil {
			fmt.Fprintf(os.Stderr, "pgarchival: drop bench schema %s: %v\n", schema, err)
		}
	})
	return pool
}

// BenchmarkLoad times loading a corpus into an empty schema: "copy" is one COPY into the table as
// migrated (HNSW index and passage_terms' key present), "bulk" is bulkLoad, both of the text corpus. Run it with
// -benchtime=1x: one load takes seconds to minutes.
func BenchmarkLoad(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			if n > 10_000 && testing.Short() {
				b.Skip("skipping the 100k corpus under -short")
			}
			c := newBenchCorpus(b, "text", n)
			for _, bulk := range []bool{false, true} {
				name := "copy"
				if bulk {
					name = "bulk"
				}
				b.Run(name, func(b *testing.B) {
					ctx := context.Background()
					for b.Loop() {
						b.StopTimer()
						pool, err := pgdb.Open(ctx, pgdb.Config{URL: pgdbtest.Schema(b), Dim: dim, Migrate: true})
						if err != nil {
							b.Fatal(err)
						}
						b.StartTimer()
						start := time.Now()
						if bulk {
							err = bulkLoad(ctx, pool, c)
						} else {
							err = copyCorpus(ctx, pool, c)
						}
						if err != nil {
							b.Fatal(err)
						}
						b.ReportMetric(time.Since(start).Seconds(), "s/load")
						b.StopTimer()
						pool.Close()
						b.StartTimer()
					}
				})
			}
		})
	}
}
