package pgarchival_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/pgvector/pgvector-go"

	"github.com/memsvc/memsvc/archival"
	"github.com/memsvc/memsvc/archival/pgarchival"
	"github.com/memsvc/memsvc/pgdb"
	"github.com/memsvc/memsvc/pgdb/pgdbtest"
)

// TestFilteredHNSW: an agent holding 30 of 2,030 passages still gets its exact top k from the
// dense half when the plan walks the HNSW graph, which the agent filter mostly rejects: the
// iterative scan keeps going until the list is full. The planner would rather read a small
// agent's rows by primary key and sort them; a second pool with enable_sort = off makes it use
// the index, which EXPLAIN confirms. Without the iterative scan the same plan finds almost none.
func TestFilteredHNSW(t *testing.T) {
	ctx := context.Background()
	u := pgdbtest.Schema(t)
	open := func(url string) *pgxpool.Pool {
		pool, err := pgdb.Open(ctx, pgdb.Config{URL: url, Dim: dim, Migrate: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(pool.Close)
		return pool
	}
	pool := open(u)
	forced := open(u + "&enable_sort=off")

	rng := rand.New(rand.NewPCG(7, 7))
	var ps []archival.Passage
	ours := map[string][]float32{}
	for i := range 2030 {
		p := archival.Passage{ID: fmt.Sprint("p", i), AgentID: fmt.Sprint("other", i%20), Text: "filler words", Vector: randUnit(rng)}
		if i%67 == 0 && len(ours) < 30 {
			p.AgentID, p.Text = "ours", "our words"
			ours[p.ID] = p.Vector
		}
		ps = append(ps, p)
	}
	if len(ours) != 30 {
		t.Fatalf("%d passages of ours", len(ours))
	}
	s := pgarchival.New(pool, dim)
	if err := s.Upsert(ctx, ps); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `ANALYZE passages`); err != nil {
		t.Fatal(err)
	}

	const k = 10
	for _, c := range []struct {
		name string
		pool *pgxpool.Pool
	}{{"planner's choice", pool}, {"forced HNSW", forced}} {
		q := randUnit(rng)
		var plan []string
		rows, err := c.pool.Query(ctx, `EXPLAIN (COSTS OFF) SELECT id FROM passages WHERE agent_id = $1 AND status = 'valid'
			ORDER BY embedding <=> $2 LIMIT 50`, "ours", pgvector.NewVector(q))
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var line string
			if err := rows.Scan(&line); err != nil {
				t.Fatal(err)
			}
			if i := strings.Index(line, "'["); i >= 0 { // the query vector
				line = line[:i] + "$2)"
			}
			plan = append(plan, strings.TrimSpace(line))
		}
		usesHNSW := strings.Contains(strings.Join(plan, "\n"), "passages_embedding")
		t.Logf("%s: plan %q", c.name, plan)
		if c.pool == forced && !usesHNSW {
			t.Fatalf("enable_sort = off did not make the plan use the HNSW index")
		}
		hits, err := pgarchival.New(c.pool, dim).Search(ctx, archival.Query{AgentID: "ours", Vector: q, K: k})
		if err != nil {
			t.Fatal(err)
		}
		if want := exactTop(ours, q, k); !slices.Equal(ids(hits), want) {
			t.Errorf("%s: hits %v, want the exact top %d %v", c.name, ids(hits), k, want)
		}
	}

	// The same forced plan without the iterative scan returns only what ef_search (40) reached.
	var n int
	if err := forced.QueryRow(ctx, `SELECT count(*) FROM (SELECT id FROM passages WHERE agent_id = $1
		ORDER BY embedding <=> $2 LIMIT 10) r`, "ours", pgvector.NewVector(randUnit(rng))).Scan(&n); err != nil {
		t.Fatal(err)
	}
	t.Logf("without iterative scan: %d of %d", n, k)
	if n >= k {
		t.Errorf("without the iterative scan the filtered HNSW search found %d, expected fewer than %d: the test does not exercise the filter", n, k)
	}
}

func randUnit(rng *rand.Rand) []float32 {
	v := make([]float32, dim)
	for i := range v {
		v[i] = float32(rng.NormFloat64())
	}
	return normalize(v)
}

// TestLargeAgentUsesHNSW: a dense search of an agent with more than 2,000 passages and most of
// the table walks the HNSW graph (the planner alone would sort all its rows exactly), while one
// of an agent with a small share of the table is left to the planner's exact read by primary
// key. pg_stat_user_indexes counts the scans of the index.
func TestLargeAgentUsesHNSW(t *testing.T) {
	s, pool := newStore(t)
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(3, 3))
	var ps []archival.Passage
	for i := range 2_100 {
		ps = append(ps, archival.Passage{ID: fmt.Sprint("p", i), AgentID: "big", Text: "filler", Vector: randUnit(rng)})
	}
	for i := range 30 {
		ps = append(ps, archival.Passage{ID: fmt.Sprint("s", i), AgentID: "small", Text: "filler", Vector: randUnit(rng)})
	}
	if err := s.Upsert(ctx, ps); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `ANALYZE passages`); err != nil {
		t.Fatal(err)
	}
	// scans returns the index's scan count. Statistics reach the shared counters after a
	// transaction, at most once a second per backend, so it waits for them first.
	scans := func() int64 {
		t.Helper()
		time.Sleep(1500 * time.Millisecond)
		var n int64
		if err := pool.QueryRow(ctx, `SELECT coalesce(sum(idx_scan), 0) FROM pg_stat_user_indexes
			WHERE indexrelname = 'passages_embedding' AND schemaname = current_schema()`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	search := func(agent string) {
		t.Helper()
		hits, err := s.Search(ctx, archival.Query{AgentID: agent, Vector: randUnit(rng), K: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(hits) != 10 {
			t.Fatalf("%s: %d hits, want 10", agent, len(hits))
		}
	}
	before := scans()
	search("small")
	if n := scans(); n != before {
		t.Errorf("searching the small agent scanned the HNSW index (%d scans, then %d)", before, n)
	}
	search("big")
	if n := scans(); n <= before {
		t.Errorf("searching the agent with 2,100 of 2,130 passages did not scan the HNSW index (%d scans, then %d)", before, n)
	}
}
