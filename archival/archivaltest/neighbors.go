package archivaltest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/memsvc/memsvc/archival"
)

// testNeighbors: archival.SearchNeighbors (a store's own NeighborSearcher, when it has one)
// answers what one Search per vector answers, cut at MinDense: ties, keys, invalid passages,
// another agent's passages and a deleted passage included.
func testNeighbors(t *testing.T, s archival.Store) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(3, 5))
	rvec := func() []float32 {
		v := vec(s)
		for i := range 4 {
			v[i] = float32(rng.NormFloat64())
		}
		v[0] += 1.5 // cosines spread around a positive mean, so MinDense cuts inside the lists
		return v
	}
	var ps []archival.Passage
	for i := range 60 {
		p := passage("a", fmt.Sprintf("p%02d", i), fmt.Sprintf("passage number %d", i), rvec())
		switch {
		case i%9 == 4:
			p.Vector = ps[i-1].Vector // equal cosines
		case i%7 == 2:
			p.Key = fmt.Sprintf("k%d", i)
		case i%11 == 5:
			p.Status = archival.StatusInvalidated
		}
		ps = append(ps, p)
	}
	upsert(t, s, ps...)
	upsert(t, s, passage("b", "other", "another agent", ps[0].Vector))
	if err := s.Delete(ctx, "a", "p10"); err != nil {
		t.Fatal(err)
	}
	vecs := [][]float32{ps[0].Vector, ps[4].Vector, nil, vec(s)}
	for range 12 {
		vecs = append(vecs, rvec())
	}
	compare := func(round string) {
		t.Helper()
		for _, k := range []int{1, 5, 20} {
			for _, minDense := range []float64{-1, 0.5, 0.9} {
				compareNeighbors(t, s, round, vecs, k, minDense)
			}
		}
	}
	compare("first")
	// A cache of what was read must follow writes: a new text and key, a deletion.
	p := ps[1]
	p.Text, p.Key = "passage one, rewritten", "newkey"
	upsert(t, s, p)
	p = ps[0]
	p.Text = "passage zero, rewritten"
	upsert(t, s, p)
	if err := s.Delete(ctx, "a", "p03"); err != nil {
		t.Fatal(err)
	}
	compare("after writes")
	if _, err := archival.SearchNeighbors(ctx, s, archival.NeighborQuery{AgentID: "a", Vectors: [][]float32{{1}}, K: 5}); err == nil {
		t.Error("a vector of another dimension: no error")
	}
	if err := s.DeleteAgent(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	got, err := archival.SearchNeighbors(ctx, s, archival.NeighborQuery{AgentID: "a", Vectors: vecs, K: 5, MinDense: -1})
	if err != nil {
		t.Fatal(err)
	}
	for i, ns := range got {
		if len(ns) != 0 {
			t.Errorf("after DeleteAgent, vector %d: %+v", i, ns)
		}
	}
}

// compareNeighbors compares SearchNeighbors with one Search per vector.
func compareNeighbors(t *testing.T, s archival.Store, round string, vecs [][]float32, k int, minDense float64) {
	t.Helper()
	q := archival.NeighborQuery{AgentID: "a", Vectors: vecs, K: k, MinDense: minDense}
	got, err := archival.SearchNeighbors(context.Background(), s, q)
	if err != nil {
		t.Fatalf("%s: SearchNeighbors(k=%d, min=%v): %v", round, k, minDense, err)
	}
	if len(got) != len(vecs) {
		t.Fatalf("%s: %d answers for %d vectors", round, len(got), len(vecs))
	}
	for i, v := range vecs {
		var want []archival.Neighbor
		if len(v) != 0 {
			want = archival.NeighborsOf(search(t, s, archival.Query{AgentID: "a", Vector: v, K: k}), minDense)
		}
		if !slices.EqualFunc(got[i], want, func(a, b archival.Neighbor) bool {
			return a.ID == b.ID && a.Key == b.Key && a.Text == b.Text && a.Dense == b.Dense
		}) {
			t.Errorf("%s: k=%d min=%v vector %d: got %+v, want %+v", round, k, minDense, i, got[i], want)
		}
	}
}

// testGetMany: archival.GetMany (a store's own ManyGetter, when it has one) returns each passage
// as Get does, and leaves out the ids with no passage of the agent.
func testGetMany(t *testing.T, s archival.Store) {
	ctx := context.Background()
	var ids []string
	var ps []archival.Passage
	for i := range 30 {
		p := passage("a", fmt.Sprintf("g%02d", i), fmt.Sprintf("passage %d", i), axis(s, i%s.Dim()))
		if i%4 == 0 {
			p.Key, p.Tags, p.Metadata = "k", []string{"t"}, map[string]any{"n": float64(i)}
		}
		ps = append(ps, p)
		ids = append(ids, p.ID)
	}
	upsert(t, s, ps...)
	upsert(t, s, passage("b", "elsewhere", "another agent's", axis(s, 0)))
	ids = append(ids, "missing", "elsewhere")
	got, err := archival.GetMany(ctx, s, "a", ids)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(ps) {
		t.Errorf("%d passages, want %d", len(got), len(ps))
	}
	for _, p := range ps {
		want, err := s.Get(ctx, "a", p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if g, ok := got[p.ID]; !ok || !reflect.DeepEqual(g, want) {
			t.Errorf("%s: got %+v, want %+v", p.ID, g, want)
		}
	}
}

// testKeyTexts: a store's KeyTexter returns the texts of every passage of the agent under each
// key asked, of every status, oldest valid_from first; nothing of another key or agent, and no
// entry for a key without passages.
func testKeyTexts(t *testing.T, s archival.Store) {
	if _, ok := s.(archival.KeyTexter); !ok {
		t.Skip("the store has no KeyTexter: scoring goes without a slot's earlier values")
	}
	ctx := context.Background()
	mk := func(agent, id, key, text string, when time.Time) archival.Passage {
		p := passage(agent, id, text, axis(s, 0))
		p.Key, p.ValidFrom = key, when
		return p
	}
	upsert(t, s, mk("a", "berlin", "k1", "Alice moved to Berlin", date(2025, 6, 1)))
	upsert(t, s, mk("a", "paris", "k1", "Alice lives in Paris", date(2024, 3, 1))) // late, earlier
	wrong := mk("a", "rome", "k1", "Alice lives in Rome", date(2024, 9, 1))
	wrong.Status = archival.StatusInvalidated
	upsert(t, s, wrong)
	upsert(t, s, mk("a", "acme", "k2", "Alice works at Acme", date(2024, 1, 1)))
	upsert(t, s, mk("a", "note", "", "Alice likes tea", date(2024, 1, 1)))
	upsert(t, s, mk("b", "oslo", "k1", "Bob lives in Oslo", date(2023, 1, 1)))

	got, err := archival.KeyTexts(ctx, s, "a", []string{"k1", "k2", "k3"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		"k1": {"Alice lives in Paris", "Alice lives in Rome", "Alice moved to Berlin"},
		"k2": {"Alice works at Acme"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("KeyTexts = %q, want %q", got, want)
	}
	if got, err := archival.KeyTexts(ctx, s, "a", nil); err != nil || len(got) != 0 {
		t.Fatalf("KeyTexts of no keys = %q, %v; want nothing", got, err)
	}
	// The newest perKey values of each key, still oldest first.
	got, err = s.(archival.KeyTexter).KeyTexts(ctx, "a", []string{"k1", "k2"}, 2)
	if err != nil {
		t.Fatal(err)
	}
	want = map[string][]string{"k1": {"Alice lives in Rome", "Alice moved to Berlin"}, "k2": {"Alice works at Acme"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("KeyTexts, 2 per key = %q, want %q", got, want)
	}
}
