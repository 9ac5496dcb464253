package qdrantarchival_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/memsvc/memsvc/archival"
	"github.com/memsvc/memsvc/archival/qdrantarchival"
	"github.com/memsvc/memsvc/archival/qdrantarchival/qdranttest"
)

// The search benchmark has the shape of pgarchival's: a seeded corpus of one agent (random unit
// vectors, 8–16 words from a made-up vocabulary), a size ladder, the load before the timer, and
// p50/p99 latency with the dense half's recall@10 against brute force. It runs against the Qdrant
// at TEST_QDRANT_ADDR (a collection per size, dropped afterwards) and skips without one: numbers
// from the protocol test server would say nothing about Qdrant.
//
//	TEST_QDRANT_ADDR=localhost:6334 go test -run '^$' -bench . ./archival/qdrantarchival/
const (
	benchDim     = 100
	benchAgent   = "bench"
	benchK       = 10
	benchQueries = 128
	benchVocab   = 1000
)

var benchSizes = []int{10_000, 100_000}

type benchCorpus struct {
	ps      []archival.Passage
	queries []benchQuery
}

type benchQuery struct {
	vec   []float32
	text  string
	exact []string
}

func randUnit(rng *rand.Rand) []float32 {
	v := make([]float32, benchDim)
	var sum float64
	for i := range v {
		v[i] = float32(rng.NormFloat64())
		sum += float64(v[i]) * float64(v[i])
	}
	for i := range v {
		v[i] = float32(float64(v[i]) / math.Sqrt(sum))
	}
	return v
}

func newBenchCorpus(n int) *benchCorpus {
	rng := rand.New(rand.NewPCG(42, uint64(n)))
	syl := strings.Fields("ba ko ri zu me ta lo ni vu se da fe gu hi jo pa ru ka xi wo")
	vocab := make([]string, benchVocab)
	for i := range vocab {
		vocab[i] = syl[i%20] + syl[i/20%20] + syl[(i/400+i)%20] + "n"
	}
	words := func(k int) string {
		w := make([]string, k)
		for i := range w {
			w[i] = vocab[rng.IntN(benchVocab)]
		}
		return strings.Join(w, " ")
	}
	c := &benchCorpus{}
	created := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range n {
		c.ps = append(c.ps, archival.Passage{ID: fmt.Sprintf("p%06d", i), AgentID: benchAgent, Text: words(8 + rng.IntN(9)),
			Vector: randUnit(rng), CreatedAt: created.Add(time.Duration(i) * time.Second), Source: archival.SourceImport})
	}
	for range benchQueries {
		q := benchQuery{vec: randUnit(rng), text: words(2 + rng.IntN(2))}
		type scored struct {
			id    string
			score float64
		}
		all := make([]scored, len(c.ps))
		for i, p := range c.ps {
			var dot float64
			for j := range p.Vector {
				dot += float64(p.Vector[j]) * float64(q.vec[j])
			}
			all[i] = scored{p.ID, dot}
		}
		sort.Slice(all, func(i, j int) bool { return all[i].score > all[j].score })
		for _, s := range all[:min(benchK, len(all))] {
			q.exact = append(q.exact, s.id)
		}
		c.queries = append(c.queries, q)
	}
	return c
}

// load upserts the corpus in batches of 500.
func (c *benchCorpus) load(tb testing.TB, s archival.Store) {
	tb.Helper()
	for i := 0; i < len(c.ps); i += 500 {
		if err := s.Upsert(context.Background(), c.ps[i:min(i+500, len(c.ps))]); err != nil {
			tb.Fatal(err)
		}
	}
}

func (c *benchCorpus) query(q benchQuery, mode string) archival.Query {
	aq := archival.Query{AgentID: benchAgent, K: benchK}
	if mode != "lexical" {
		aq.Vector = q.vec
	}
	if mode != "dense" {
		aq.Text = q.text
	}
	return aq
}

// recall is the dense half's recall@10 against brute force.
func (c *benchCorpus) recall(tb testing.TB, s archival.Store) float64 {
	found := 0
	for _, q := range c.queries {
		hits, err := s.Search(context.Background(), c.query(q, "dense"))
		if err != nil {
			tb.Fatal(err)
		}
		for _, h := range hits {
			if slices.Contains(q.exact, h.Passage.ID) {
				found++
			}
		}
	}
	return float64(found) / float64(benchK*len(c.queries))
}

func benchStore(tb testing.TB, addr, collection string) *qdrantarchival.Store {
	cfg := config(tb, addr, collection, sqliteOutbox(tb, tb.TempDir()))
	cfg.Dim = benchDim
	return open(tb, cfg)
}

// BenchmarkSearch times Search of k = 10 in each mode over one agent's corpus in a real Qdrant.
func BenchmarkSearch(b *testing.B) {
	addr := realQdrant(b)
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			if n > 10_000 && testing.Short() {
				b.Skip("skipping the 100k corpus under -short")
			}
			c := newBenchCorpus(n)
			s := benchStore(b, addr, testCollection(b, addr))
			start := time.Now()
			c.load(b, s)
			b.Logf("loaded %d passages in %v", n, time.Since(start).Round(time.Millisecond))
			for _, mode := range []string{"dense", "lexical", "hybrid"} {
				b.Run(mode, func(b *testing.B) {
					if mode == "dense" {
						b.ReportMetric(c.recall(b, s), "recall@10")
					}
					lat := make([]time.Duration, 0, 4096)
					for i := 0; b.Loop(); i++ {
						t0 := time.Now()
						if _, err := s.Search(context.Background(), c.query(c.queries[i%len(c.queries)], mode)); err != nil {
							b.Fatal(err)
						}
						lat = append(lat, time.Since(t0))
					}
					slices.Sort(lat)
					at := func(p float64) float64 { return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Microseconds()) }
					if len(lat) > 0 {
						b.ReportMetric(at(0.50), "p50-µs")
						b.ReportMetric(at(0.99), "p99-µs")
					}
				})
			}
		})
	}
}

// TestBenchCorpus runs the benchmark's loader and recall on a small corpus against the protocol
// test server (brute force, so recall is 1), so the benchmark's code stays exercised in CI.
func TestBenchCorpus(t *testing.T) {
	srv := qdranttest.Start(t)
	s := benchStore(t, srv.Addr, "bench")
	c := newBenchCorpus(600)
	c.load(t, s)
	if n, err := s.Count(context.Background(), benchAgent); err != nil || n != 600 {
		t.Fatalf("count %d %v", n, err)
	}
	if r := c.recall(t, s); r != 1 {
		t.Fatalf("recall@10 %v on brute force, want 1", r)
	}
	for _, mode := range []string{"lexical", "hybrid"} {
		if hits, err := s.Search(context.Background(), c.query(c.queries[0], mode)); err != nil || len(hits) != benchK {
			t.Fatalf("%s: %d hits, %v", mode, len(hits), err)
		}
	}
}
