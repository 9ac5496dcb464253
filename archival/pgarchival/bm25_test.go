package pgarchival_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/memsvc/memsvc/archival"
	"github.com/memsvc/memsvc/archival/memarchival"
	"github.com/memsvc/memsvc/sqlitedb"
)

// corpus is a small set of passages on distinct topics, with overlapping words so that BM25's
// idf, tf and length normalization all matter.
var corpus = []string{
	"alice drinks green tea every morning in paris",
	"bob visits paris each spring and drinks black coffee",
	"carol brews green tea and jasmine tea for her friends",
	"dave repairs old mountain bikes in his garage",
	"erin rides her mountain bike along the river trail",
	"frank bakes a chocolate cake with dark chocolate and cream",
	"grace writes a recipe for lemon cake",
	"heidi goes fishing on the river every weekend with her father",
	"ivan plans a fishing trip to the mountain lake",
	"judy sells coffee beans and tea leaves at the market",
	"ken repairs bikes and sells spare parts",
	"laura keeps a recipe book full of cake and bread recipes",
	"mallory paints the river at dawn",
	"nina hikes mountain trails with a camera",
	"oscar drinks coffee while reading about paris history",
	"peggy grows tea plants on a hill farm",
}

func seedCorpus(t *testing.T, stores ...archival.Store) {
	t.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	ps := make([]archival.Passage, len(corpus))
	for i, text := range corpus {
		v := make([]float32, dim)
		for j := range v {
			v[j] = float32(rng.NormFloat64())
		}
		ps[i] = archival.Passage{ID: fmt.Sprintf("p%02d", i), AgentID: "a", Text: text, Vector: v}
	}
	for _, s := range stores {
		if err := s.Upsert(context.Background(), ps); err != nil {
			t.Fatal(err)
		}
	}
}

var bm25Queries = []string{
	"green tea paris",
	"mountain bike repair",
	"chocolate cake recipe",
	"river fishing trip",
	"coffee paris history",
}

// nearTie is a query whose second and third places are close (p02 1.77, p14 1.61): FTS5's idf,
// ln((N-df+0.5)/(df+0.5)), used to put them the other way round; memarchival's own index now uses
// pgarchival's formula, and the two agree on it too.
const nearTie = "tea market coffee beans"

// TestBM25AgreesWithMemarchival: on the same passages, the lexical half ranks the same top 3 as
// memarchival's lexindex, with scores within 10%: both compute BM25 with per-agent statistics
// and one formula, and differ only in the text pipeline (PostgreSQL's english configuration, and
// textproc's Porter2 with memsvc's stop words).
func TestBM25AgreesWithMemarchival(t *testing.T) {
	pg, _ := newStore(t)
	db, err := sqlitedb.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	mem, err := memarchival.New(context.Background(), db, dim)
	if err != nil {
		t.Fatal(err)
	}
	seedCorpus(t, pg, mem)
	for _, text := range append(bm25Queries, nearTie) {
		q := archival.Query{AgentID: "a", Text: text, K: 3}
		want, err := mem.Search(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		got, err := pg.Search(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%q: memarchival %v, pgarchival %v", text, describe(want), describe(got))
		if !slices.Equal(ids(got), ids(want)) {
			t.Errorf("%q: pgarchival top 3 %v, memarchival %v", text, ids(got), ids(want))
		}
		for i := range min(len(got), len(want)) {
			if g, w := got[i].Lexical, want[i].Lexical; math.Abs(g-w) > 0.1*w {
				t.Errorf("%q: %s scores %.3f on pgarchival, %.3f on memarchival", text, ids(got)[i], g, w)
			}
		}
	}
}

// TestBM25Scores recomputes BM25 in Go from the stored tsvectors and checks the scores and order
// of the lexical half, with a filter that hides some matches (they still count in df and N).
func TestBM25Scores(t *testing.T) {
	s, pool := newStore(t)
	seedCorpus(t, s)
	// Invalidate two passages: filtered out, but still part of the statistics.
	for _, id := range []string{"p00", "p09"} {
		p, err := s.Get(context.Background(), "a", id)
		if err != nil {
			t.Fatal(err)
		}
		p.Status = archival.StatusInvalidated
		if err := s.Upsert(context.Background(), []archival.Passage{p}); err != nil {
			t.Fatal(err)
		}
	}
	// Another agent's passages must not change this agent's statistics.
	if err := s.Upsert(context.Background(), []archival.Passage{
		{ID: "x", AgentID: "other", Text: "tea tea tea paris paris coffee", Vector: unit(0)},
	}); err != nil {
		t.Fatal(err)
	}
	for _, text := range append(bm25Queries, nearTie, "Tea TEA tea and the paris") {
		want := referenceBM25(t, pool, "a", text, map[string]bool{"p00": true, "p09": true})
		got, err := s.Search(context.Background(), archival.Query{AgentID: "a", Text: text, K: 50})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) {
			t.Fatalf("%q: %d hits, want %d (%v)", text, len(got), len(want), want)
		}
		for i, h := range got {
			if h.Passage.ID != want[i].id || math.Abs(h.Lexical-want[i].score) > 1e-9*want[i].score || h.LexicalRank != i+1 {
				t.Errorf("%q: hit %d = %s %.12f (rank %d), want %s %.12f", text, i, h.Passage.ID, h.Lexical, h.LexicalRank, want[i].id, want[i].score)
			}
		}
	}
}

type scored struct {
	id    string
	score float64
}

// referenceBM25 computes Okapi BM25 (k1 1.2, b 0.75, idf ln(1 + (N-df+0.5)/(df+0.5))) of text over
// agent's passages, from their tsvectors: tf is a lexeme's positions, dl all positions of the
// passage. Passages in hidden count in the statistics but are not returned.
func referenceBM25(t *testing.T, pool *pgxpool.Pool, agent, text string, hidden map[string]bool) []scored {
	t.Helper()
	ctx := context.Background()
	var terms []string
	if err := pool.QueryRow(ctx, `SELECT coalesce(array_agg(lexeme), '{}') FROM unnest(to_tsvector('english', $1))`, text).Scan(&terms); err != nil {
		t.Fatal(err)
	}
	rows, err := pool.Query(ctx, `SELECT p.id, u.lexeme, array_length(u.positions, 1)
		FROM passages p, unnest(p.tsv) u WHERE p.agent_id = $1`, agent)
	if err != nil {
		t.Fatal(err)
	}
	tf := map[string]map[string]float64{}
	dl := map[string]float64{}
	for rows.Next() {
		var id, lexeme string
		var n float64
		if err := rows.Scan(&id, &lexeme, &n); err != nil {
			t.Fatal(err)
		}
		if tf[id] == nil {
			tf[id] = map[string]float64{}
		}
		tf[id][lexeme] = n
		dl[id] += n
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	var total float64
	for _, l := range dl {
		total += l
	}
	n := float64(len(dl))
	avgdl := total / n
	var out []scored
	for id, f := range tf {
		var score float64
		matched := false
		for _, term := range terms {
			if f[term] == 0 {
				continue
			}
			matched = true
			df := 0.0
			for _, g := range tf {
				if g[term] > 0 {
					df++
				}
			}
			idf := math.Log(1 + (n-df+0.5)/(df+0.5))
			score += idf * f[term] * 2.2 / (f[term] + 1.2*(0.25+0.75*dl[id]/avgdl))
		}
		if matched && !hidden[id] {
			out = append(out, scored{id, score})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].score != out[j].score {
			return out[i].score > out[j].score
		}
		return out[i].id < out[j].id
	})
	return out
}

func ids(hits []archival.Hit) []string {
	out := make([]string, len(hits))
	for i, h := range hits {
		out[i] = h.Passage.ID
	}
	return out
}

func describe(hits []archival.Hit) []string {
	out := make([]string, len(hits))
	for i, h := range hits {
		out[i] = fmt.Sprintf("%s(%.3f)", h.Passage.ID, h.Lexical)
	}
	return out
}

// unit returns the unit vector along axis i.
func unit(i int) []float32 {
	v := make([]float32, dim)
	v[i] = 1
	return v
}
