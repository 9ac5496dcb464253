package pgarchival_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/pgvector/pgvector-go"

	"github.com/memsvc/memsvc/archival"
	"github.com/memsvc/memsvc/archival/pgarchival"
)

// The benchmarks' shape is backend-neutral: a seeded corpus (benchCorpus), a loader per backend,
// and benchSearch, which times archival.Store.Search and reports p50/p99 latency next to the
// dense half's recall@10 against brute force. Only the loader (COPY, index after the load) is
// PostgreSQL's, so the rest could move to archivaltest as a shared Bench, as River's
// riverdrivertest/benchmark.go serves every driver.

const (
	benchAgent   = "bench"
	benchK       = 10
	benchQueries = 256
	vocabSize    = 1000
)

// benchSizes is the size ladder; 100k is skipped under -short.
var benchSizes = []int{10_000, 100_000}

// benchCorpus is n passages of one agent: seeded random unit vectors of length dim and 8–16 words
// drawn uniformly from a vocabulary of vocabSize made-up words; and benchQueries queries (a random
// unit vector and 2–3 words) with the exact top benchK by cosine.
type benchCorpus struct {
	ids, texts []string
	vecs       [][]float32
	queries    []benchQuery
}

type benchQuery struct {
	vec   []float32
	text  string
	exact []string
}

func newBenchCorpus(n int) *benchCorpus {
	rng := rand.New(rand.NewPCG(42, uint64(n)))
	syllables := strings.Fields("ba ko ri zu me ta lo ni vu se da fe gu hi jo pa ru ka xi wo")
	vocab := make([]string, vocabSize)
	for i := range vocab {
		vocab[i] = syllables[i%20] + syllables[i/20%20] + syllables[(i/400+i)%20] + "n"
	}
	words := func(k int) string {
		w := make([]string, k)
		for i := range w {
			w[i] = vocab[rng.IntN(vocabSize)]
		}
		return strings.Join(w, " ")
	}
	c := &benchCorpus{ids: make([]string, n), texts: make([]string, n), vecs: make([][]float32, n)}
	byID := make(map[string][]float32, n)
	for i := range n {
		c.ids[i], c.texts[i], c.vecs[i] = fmt.Sprintf("p%06d", i), words(8+rng.IntN(9)), randUnit(rng)
		byID[c.ids[i]] = c.vecs[i]
	}
	for range benchQueries {
		q := benchQuery{vec: randUnit(rng), text: words(2 + rng.IntN(2))}
		q.exact = exactTop(byID, q.vec, benchK)
		c.queries = append(c.queries, q)
	}
	return c
}

// benchDB is a loaded corpus in its own schema, shared by the benchmarks of one run and dropped
// by TestMain.
type benchDB struct {
	corpus *benchCorpus
	pool   *pgxpool.Pool
	store  *pgarchival.Store
}

var benchDBs = map[int]*benchDB{}

// loadedDB returns the corpus of size n loaded into PostgreSQL, loading it on first use with
// bulkLoad, then VACUUM ANALYZE (the steady state autovacuum keeps).
func loadedDB(b *testing.B, n int) *benchDB {
	b.Helper()
	if n > 10_000 && testing.Short() {
		b.Skip("skipping the 100k corpus under -short")
	}
	if db := benchDBs[n]; db != nil {
		return db
	}
	c := newBenchCorpus(n)
	pool := benchPool(b, fmt.Sprintf("bench_%d", n))
	ctx := context.Background()
	start := time.Now()
	if err := bulkLoad(ctx, pool, c); err != nil {
		b.Fatal(err)
	}
	loaded := time.Since(start)
	if _, err := pool.Exec(ctx, `VACUUM ANALYZE passages`); err != nil {
		b.Fatal(err)
	}
	b.Logf("loaded %d passages in %v", n, loaded.Round(time.Millisecond))
	db := &benchDB{corpus: c, pool: pool, store: pgarchival.New(pool, dim)}
	benchDBs[n] = db
	return db
}

// bulkLoad loads c into an empty passages table the fast way (BenchmarkLoad compares it with a
// plain COPY): without the HNSW index, which is built after the COPY in one pass, and with the
// GIN index's pending list on (migration 0002 turns it off for steady inserts), flushed by a
// VACUUM before it is turned off again.
func bulkLoad(ctx context.Context, pool *pgxpool.Pool, c *benchCorpus) error {
	for _, sql := range []string{`DROP INDEX passages_embedding`, `ALTER INDEX passages_tsv SET (fastupdate = on)`} {
		if _, err := pool.Exec(ctx, sql); err != nil {
			return err
		}
	}
	if err := copyCorpus(ctx, pool, c); err != nil {
		return err
	}
	for _, sql := range []string{`VACUUM passages`, `ALTER INDEX passages_tsv SET (fastupdate = off)`} {
		if _, err := pool.Exec(ctx, sql); err != nil {
			return err
		}
	}
	// The graph fits in maintenance_work_mem, so it is built in one pass.
	return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SET LOCAL maintenance_work_mem = '1GB'`); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `CREATE INDEX passages_embedding ON passages USING hnsw (embedding vector_cosine_ops)`)
		return err
	})
}

// copyCorpus loads c with COPY (the stats triggers fire once for the whole statement).
func copyCorpus(ctx context.Context, pool *pgxpool.Pool, c *benchCorpus) error {
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	rows := make([][]any, len(c.ids))
	for i := range rows {
		at := now.Add(time.Duration(i) * time.Second)
		rows[i] = []any{benchAgent, c.ids[i], c.texts[i], pgvector.NewVector(c.vecs[i]), at, at, "valid", "import"}
	}
	_, err := pool.CopyFrom(ctx, []string{"passages"},
		[]string{"agent_id", "id", "text", "embedding", "created_at", "valid_from", "status", "source"},
		pgx.CopyFromRows(rows))
	return err
}

// BenchmarkSearch times Search of k = 10 in each mode over one agent's corpus, reporting the
// latency percentiles and, for the dense mode, recall@10 against brute-force cosine.
func BenchmarkSearch(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			db := loadedDB(b, n)
			for _, mode := range []string{"dense", "lexical", "hybrid"} {
				b.Run(mode, func(b *testing.B) {
					benchSearch(b, db.store, db.corpus, mode)
				})
			}
		})
	}
}

// benchSearch is the backend-neutral part: recall first (untimed), then the timed loop.
func benchSearch(b *testing.B, s archival.Store, c *benchCorpus, mode string) {
	ctx := context.Background()
	query := func(q benchQuery) archival.Query {
		aq := archival.Query{AgentID: benchAgent, K: benchK}
		if mode != "lexical" {
			aq.Vector = q.vec
		}
		if mode != "dense" {
			aq.Text = q.text
		}
		return aq
	}
	recall := -1.0
	if mode == "dense" {
		var found int
		for _, q := range c.queries {
			hits, err := s.Search(ctx, query(q))
			if err != nil {
				b.Fatal(err)
			}
			for _, h := range hits {
				if slices.Contains(q.exact, h.Passage.ID) {
					found++
				}
			}
		}
		recall = float64(found) / float64(benchK*len(c.queries))
	}
	lat := make([]time.Duration, 0, 4096)
	for i := 0; b.Loop(); i++ {
		start := time.Now()
		if _, err := s.Search(ctx, query(c.queries[i%len(c.queries)])); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
	}
	reportPercentiles(b, lat) // after the loop: b.Loop's first call resets reported metrics
	if recall >= 0 {
		b.ReportMetric(recall, "recall@10")
	}
}

// BenchmarkRawSQL times the dense query alone as raw SQL through pgx, for memsvc's overhead ratio:
// "defaults" is the plain query with pgvector's defaults (ef_search 40, no iterative scan);
// "same-params" reads as deep as Search does (LIMIT max(50, 5k) = 50, ef_search 100, iterative
// scan in relaxed order), so its ratio isolates what memsvc adds (planning per search, the
// settings, sorting and fusion, reading the passages back). recall@10 is of the first 10 rows.
func BenchmarkRawSQL(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			db := loadedDB(b, n)
			for _, variant := range []struct {
				name  string
				ef    int
				iter  string
				limit int
			}{{"defaults", 40, "off", 10}, {"same-params", 100, "relaxed_order", 50}} {
				b.Run(variant.name, func(b *testing.B) {
					ctx := context.Background()
					conn, err := db.pool.Acquire(ctx)
					if err != nil {
						b.Fatal(err)
					}
					defer conn.Release()
					if _, err := conn.Exec(ctx, fmt.Sprintf(`SET hnsw.ef_search = %d; SET hnsw.iterative_scan = %s`, variant.ef, variant.iter)); err != nil {
						b.Fatal(err)
					}
					defer conn.Exec(ctx, `RESET hnsw.ef_search; RESET hnsw.iterative_scan`) //nolint:errcheck
					sql := fmt.Sprintf(`SELECT id FROM passages WHERE agent_id = $1 ORDER BY embedding <=> $2 LIMIT %d`, variant.limit)
					run := func(q benchQuery) []string {
						rows, err := conn.Query(ctx, sql, benchAgent, pgvector.NewVector(q.vec))
						if err != nil {
							b.Fatal(err)
						}
						ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
						if err != nil {
							b.Fatal(err)
						}
						return ids
					}
					var found int
					for _, q := range db.corpus.queries {
						for _, id := range run(q)[:benchK] {
							if slices.Contains(q.exact, id) {
								found++
							}
						}
					}
					recall := float64(found) / float64(benchK*len(db.corpus.queries))
					lat := make([]time.Duration, 0, 4096)
					for i := 0; b.Loop(); i++ {
						start := time.Now()
						run(db.corpus.queries[i%len(db.corpus.queries)])
						lat = append(lat, time.Since(start))
					}
					reportPercentiles(b, lat)
					b.ReportMetric(recall, "recall@10")
				})
			}
		})
	}
}

func reportPercentiles(b *testing.B, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	at := func(p float64) float64 {
		return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Microseconds())
	}
	b.ReportMetric(at(0.50), "p50-µs")
	b.ReportMetric(at(0.99), "p99-µs")
}
