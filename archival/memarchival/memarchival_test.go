package memarchival_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/memsvc/memsvc/archival"
	"github.com/memsvc/memsvc/archival/archivaltest"
	"github.com/memsvc/memsvc/archival/memarchival"
	"github.com/memsvc/memsvc/sqlitedb"
)

const dim = 100

// openDB opens a fresh database in a temp dir, closed when the test ends.
func openDB(t testing.TB, dir string) *sql.DB {
	t.Helper()
	db, err := sqlitedb.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func newStore(t testing.TB, db *sql.DB) *memarchival.Store {
	t.Helper()
	s, err := memarchival.New(context.Background(), db, dim)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestConformance(t *testing.T) {
	archivaltest.Run(t, func(t *testing.T) archival.Store {
		s := newStore(t, openDB(t, t.TempDir()))
		t.Cleanup(func() {
			if err := memarchival.Consistent(s); err != nil {
				t.Errorf("memory out of step with passages: %v", err)
			}
		})
		return s
	})
}

func unit(i int) []float32 {
	v := make([]float32, dim)
	v[i] = 1
	return v
}

// TestReopenRebuildsIndex stores passages, closes the database and checks that a new Store over
// the reopened file searches them, filters included.
func TestReopenRebuildsIndex(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := sqlitedb.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	s := newStore(t, db)
	validTo := time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC)
	err = s.Upsert(ctx, []archival.Passage{
		{ID: "p0", AgentID: "a", Text: "persisted zebra", Context: "asked about stripes", Vector: unit(0), Tags: []string{"kept"}},
		{ID: "p1", AgentID: "a", Text: "persisted okapi", Vector: unit(1), Status: archival.StatusSuperseded,
			ValidFrom: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), ValidTo: &validTo},
		{ID: "gone", AgentID: "a", Text: "deleted before close", Vector: unit(2)},
		{ID: "p0", AgentID: "b", Text: "other agent", Vector: unit(0)},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, "a", "gone"); err != nil {
		t.Fatal(err)
	}
	db.Close()

	s = newStore(t, openDB(t, dir))
	if err := memarchival.Consistent(s); err != nil {
		t.Fatal(err)
	}
	ids := func(q archival.Query) []string {
		t.Helper()
		hits, err := s.Search(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, h := range hits {
			out = append(out, h.Passage.ID)
		}
		return out
	}
	if got := ids(archival.Query{AgentID: "a", Vector: unit(0), K: 10}); fmt.Sprint(got) != "[p0]" {
		t.Errorf("dense after reopen = %v, want [p0] (superseded and deleted ones filtered)", got)
	}
	if got := ids(archival.Query{AgentID: "a", Vector: unit(1), K: 10, IncludeInvalid: true}); fmt.Sprint(got) != "[p1 p0]" {
		t.Errorf("dense include_invalid after reopen = %v, want [p1 p0]", got)
	}
	asOf := time.Date(2024, 1, 15, 0, 0, 0, 0, time.UTC)
	if got := ids(archival.Query{AgentID: "a", Vector: unit(1), K: 10, AsOf: &asOf}); fmt.Sprint(got) != "[p1]" {
		t.Errorf("dense as_of after reopen = %v, want [p1]", got)
	}
	if got := ids(archival.Query{AgentID: "a", Vector: unit(0), K: 10, Tags: []string{"kept"}}); fmt.Sprint(got) != "[p0]" {
		t.Errorf("dense tags after reopen = %v, want [p0]", got)
	}
	if got := ids(archival.Query{AgentID: "a", Text: "persisted deleted", K: 10}); fmt.Sprint(got) != "[p0]" {
		t.Errorf("lexical after reopen = %v, want [p0]", got)
	}
	if got := ids(archival.Query{AgentID: "a", Text: "stripes", K: 10}); fmt.Sprint(got) != "[p0]" {
		t.Errorf("lexical by a word of the context after reopen = %v, want [p0]", got)
	}
	if got := ids(archival.Query{AgentID: "b", Vector: unit(0), K: 10}); fmt.Sprint(got) != "[p0]" {
		t.Errorf("agent b after reopen = %v", got)
	}
}

func TestReopenWithOtherDimension(t *testing.T) {
	ctx := context.Background()
	db := openDB(t, t.TempDir())
	s := newStore(t, db)
	if err := s.Upsert(ctx, []archival.Passage{{ID: "p", AgentID: "a", Text: "t", Vector: unit(0)}}); err != nil {
		t.Fatal(err)
	}
	if _, err := memarchival.New(ctx, db, dim+1); !errors.Is(err, archival.ErrDimensionMismatch) {
		t.Fatalf("New with another dimension: %v, want ErrDimensionMismatch", err)
	}
	if _, err := memarchival.New(ctx, db, 0); !errors.Is(err, archival.ErrInvalid) {
		t.Fatalf("New with dimension 0: %v, want ErrInvalid", err)
	}
}

func TestSearchLimitsAndValues(t *testing.T) {
	ctx := context.Background()
	s := newStore(t, openDB(t, t.TempDir()))
	if _, err := s.Search(ctx, archival.Query{AgentID: "a", Text: "x", K: memarchival.MaxK + 1}); !errors.Is(err, archival.ErrInvalid) {
		t.Errorf("k over MaxK: %v, want ErrInvalid", err)
	}
	if _, err := s.Search(ctx, archival.Query{AgentID: "a", Text: "x", K: memarchival.MaxK}); err != nil {
		t.Errorf("k = MaxK: %v", err)
	}
	nan := unit(0)
	nan[3] = float32(nanValue())
	if err := s.Upsert(ctx, []archival.Passage{{ID: "p", AgentID: "a", Text: "t", Vector: nan}}); !errors.Is(err, archival.ErrInvalid) {
		t.Errorf("NaN vector: %v, want ErrInvalid", err)
	}
	if _, err := s.Search(ctx, archival.Query{AgentID: "a", Vector: nan, K: 1}); !errors.Is(err, archival.ErrInvalid) {
		t.Errorf("NaN query: %v, want ErrInvalid", err)
	}
	far := time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)
	if err := s.Upsert(ctx, []archival.Passage{{ID: "p", AgentID: "a", Text: "t", Vector: unit(0), ValidFrom: far}}); !errors.Is(err, archival.ErrInvalid) {
		t.Errorf("year 3000: %v, want ErrInvalid", err)
	}
	bad := map[string]any{"ch": make(chan int)}
	if err := s.Upsert(ctx, []archival.Passage{{ID: "p", AgentID: "a", Text: "t", Vector: unit(0), Metadata: bad}}); !errors.Is(err, archival.ErrInvalid) {
		t.Errorf("unmarshalable metadata: %v, want ErrInvalid", err)
	}

	// Times come back in UTC; a zero query vector adds no dense list.
	if err := s.Upsert(ctx, []archival.Passage{{ID: "p", AgentID: "a", Text: "tea", Vector: unit(0)}}); err != nil {
		t.Fatal(err)
	}
	p, err := s.Get(ctx, "a", "p")
	if err != nil || p.CreatedAt.Location() != time.UTC || p.ValidFrom.Location() != time.UTC {
		t.Errorf("Get: %v, times %v %v, want UTC", err, p.CreatedAt, p.ValidFrom)
	}
	hits, err := s.Search(ctx, archival.Query{AgentID: "a", Vector: make([]float32, dim), K: 5})
	if err != nil || len(hits) != 0 {
		t.Errorf("zero vector query: %v hits, %v; want none", len(hits), err)
	}
}

func nanValue() float64 { var z float64; return z / z }

func FuzzSearchText(f *testing.F) {
	for _, s := range []string{`"`, `NEAR(a b)`, `a*`, `-x`, `col:x`, "\xff", `x OR`, `東京`, "e\u0301"} {
		f.Add(s)
	}
	s := newStore(f, openDB(f, f.TempDir()))
	ctx := context.Background()
	if err := s.Upsert(ctx, []archival.Passage{{ID: "p", AgentID: "a", Text: "near a column of x", Vector: unit(0)}}); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, text string) {
		if _, err := s.Search(ctx, archival.Query{AgentID: "a", Text: text, K: 3}); err != nil {
			t.Fatalf("Search(%q): %v", text, err)
		}
	})
}

// BenchmarkSearch measures a top-10 search of one agent's 10,000 passages: dense only, lexical
// only and hybrid, on seeded random vectors and text.
func BenchmarkSearch(b *testing.B) {
	const n, k = 10_000, 10
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(7, 11))
	vocab := make([]string, 2000)
	for i := range vocab {
		vocab[i] = fmt.Sprintf("w%dx", i)
	}
	words := func(m int) string {
		var s string
		for i := range m {
			if i > 0 {
				s += " "
			}
			s += vocab[int(float64(len(vocab))*rng.Float64()*rng.Float64())] // skewed, like real text
		}
		return s
	}
	randVec := func() []float32 {
		v := make([]float32, dim)
		for i := range v {
			v[i] = float32(rng.NormFloat64())
		}
		return v
	}
	s := newStore(b, openDB(b, b.TempDir()))
	for start := 0; start < n; start += 1000 {
		batch := make([]archival.Passage, 0, 1000)
		for i := start; i < start+1000; i++ {
			batch = append(batch, archival.Passage{ID: fmt.Sprint("p", i), AgentID: "agent", Text: words(20),
				Vector: randVec(), Tags: []string{fmt.Sprint("t", i%10)}})
		}
		if err := s.Upsert(ctx, batch); err != nil {
			b.Fatal(err)
		}
	}
	queries := make([]archival.Query, 64)
	for i := range queries {
		queries[i] = archival.Query{AgentID: "agent", Text: words(4), Vector: randVec(), K: k}
	}
	for _, m := range []struct {
		name         string
		text, vector bool
	}{{"dense", false, true}, {"lexical", true, false}, {"hybrid", true, true}} {
		b.Run(fmt.Sprintf("n=%d/%s", n, m.name), func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				q := queries[i%len(queries)]
				if !m.text {
					q.Text = ""
				}
				if !m.vector {
					q.Vector = nil
				}
				hits, err := s.Search(ctx, q)
				if err != nil || len(hits) == 0 {
					b.Fatalf("Search: %d hits, %v", len(hits), err)
				}
			}
		})
	}
}

// TestConcurrentWrites races upserts, deletes and searches of the same ids; the memory copy must
// end in step with the table, since writes are applied in commit order.
func TestConcurrentWrites(t *testing.T) {
	ctx := context.Background()
	s := newStore(t, openDB(t, t.TempDir()))
	done := make(chan error, 4)
	for w := range 4 {
		go func() {
			var err error
			for i := 0; i < 50 && err == nil; i++ {
				id := fmt.Sprint("p", i%5)
				switch (w + i) % 3 {
				case 0, 1:
					err = s.Upsert(ctx, []archival.Passage{{ID: id, AgentID: "a", Text: fmt.Sprint("writer ", w),
						Vector: unit(w), Status: []archival.Status{archival.StatusValid, archival.StatusExpired}[i%2]}})
				case 2:
					if err = s.Delete(ctx, "a", id); errors.Is(err, archival.ErrNotFound) {
						err = nil
					}
				}
				if err == nil {
					_, err = s.Search(ctx, archival.Query{AgentID: "a", Text: "writer", Vector: unit(1), K: 5, IncludeInvalid: true})
				}
			}
			done <- err
		}()
	}
	for range 4 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	if err := memarchival.Consistent(s); err != nil {
		t.Fatal(err)
	}
}

// TestRewriteRenewsTheLexicalEntryOnlyWithTheText: a passage written again with the same text
// (a supersession mark, a status change) keeps its lexical entry, and one written with a new
// text is found by the new words only.
func TestRewriteRenewsTheLexicalEntryOnlyWithTheText(t *testing.T) {
	ctx := context.Background()
	s := newStore(t, openDB(t, t.TempDir()))
	if err := s.Upsert(ctx, []archival.Passage{
		{ID: "p1", AgentID: "a", Text: "alpha bravo", Vector: unit(0)},
		{ID: "p2", AgentID: "a", Text: "charlie delta", Vector: unit(1)},
	}); err != nil {
		t.Fatal(err)
	}
	lexical := func(text string, invalid bool) string {
		t.Helper()
		hits, err := s.Search(ctx, archival.Query{AgentID: "a", Text: text, K: 10, IncludeInvalid: invalid})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, h := range hits {
			ids = append(ids, h.Passage.ID)
		}
		return fmt.Sprint(ids)
	}
	rewrite := func(change func(p *archival.Passage)) {
		t.Helper()
		err := s.Update(ctx, "a", []string{"p1"}, func(ps []*archival.Passage) ([]archival.Passage, error) {
			p := *ps[0]
			change(&p)
			return []archival.Passage{p}, nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := memarchival.Consistent(s); err != nil {
			t.Fatal(err)
		}
	}
	rewrite(func(p *archival.Passage) { p.PossiblySupersededBy, p.Confidence = "p2", 0.5 })
	if got := lexical("alpha", false); got != "[p1]" {
		t.Fatalf("after a mark, alpha finds %s", got)
	}
	rewrite(func(p *archival.Passage) { p.Status = archival.StatusInvalidated })
	if got, all := lexical("alpha", false), lexical("alpha", true); got != "[]" || all != "[p1]" {
		t.Fatalf("after invalidation, alpha finds %s (valid) and %s (all)", got, all)
	}
	rewrite(func(p *archival.Passage) { p.Text, p.Status = "echo foxtrot", archival.StatusValid })
	if old, cur := lexical("alpha", true), lexical("echo", false); old != "[]" || cur != "[p1]" {
		t.Fatalf("after a new text, alpha finds %s and echo %s", old, cur)
	}
	rewrite(func(p *archival.Passage) { p.Text = "alpha bravo" })
	if old, cur := lexical("echo", true), lexical("bravo", false); old != "[]" || cur != "[p1]" {
		t.Fatalf("after the first text again, echo finds %s and bravo %s", old, cur)
	}
}
