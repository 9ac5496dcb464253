package lexindex

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/memsvc/memsvc/textproc"
)

// reference computes BM25 the slow, obvious way over docs (id -> text): every document's terms
// counted afresh, statistics over all of docs.
func reference(docs map[string]string, query string, keep func(string) bool) []Result {
	terms := map[string]map[string]int{}
	total := 0
	for id, text := range docs {
		ts := textproc.Terms(text)
		total += len(ts)
		m := map[string]int{}
		for _, t := range ts {
			m[t]++
		}
		terms[id] = m
	}
	n := float64(len(docs))
	avgdl := float64(total) / n
	var out []Result
	for id, tf := range terms {
		dl := 0
		for _, c := range tf {
			dl += c
		}
		score := 0.0
		for _, q := range QueryTerms(query) {
			if tf[q] == 0 {
				continue
			}
			df := 0.0
			for _, other := range terms {
				if other[q] > 0 {
					df++
				}
			}
			idf := math.Log(1 + (n-df+0.5)/(df+0.5))
			f := float64(tf[q])
			score += idf * f * (k1 + 1) / (f + k1*(1-b+b*float64(dl)/avgdl))
		}
		if score > 0 && (keep == nil || keep(id)) {
			out = append(out, Result{ID: id, Score: score})
		}
	}
	slices.SortFunc(out, func(a, b Result) int {
		if a.Score != b.Score {
			if a.Score > b.Score {
				return -1
			}
			return 1
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out
}

var vocabulary = strings.Fields(`alice bob paris berlin coffee tea moved lives works hospital nurse
	engineer guitar plays running runs ran dog dogs cat version 4.2.1 endpoint pool size the a of and
	is in to favourite dish sushi pasta mountain bike repair river fishing trip market beans`)

func randomText(rng *rand.Rand) string {
	n := 3 + rng.IntN(12)
	w := make([]string, n)
	for i := range w {
		w[i] = vocabulary[rng.IntN(len(vocabulary))]
	}
	return strings.Join(w, " ")
}

func sameResults(t *testing.T, what string, got, want []Result) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d results, want %d\ngot  %v\nwant %v", what, len(got), len(want), got, want)
	}
	for i := range got {
		if got[i].ID != want[i].ID || math.Abs(got[i].Score-want[i].Score) > 1e-9 {
			t.Fatalf("%s: result %d = %v, want %v\ngot  %v\nwant %v", what, i, got[i], want[i], got, want)
		}
	}
}

// TestMatchesReference: after random adds, replacements and removals, every search returns what
// the reference computes from the documents that remain, in order, with the same scores, and with
// a keep filter.
func TestMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	x := New()
	docs := map[string]string{}
	for step := range 2000 {
		id := fmt.Sprintf("p%03d", rng.IntN(300))
		switch r := rng.IntN(10); {
		case r < 7:
			text := randomText(rng)
			x.Add("a", id, text)
			docs[id] = text
		default:
			x.Remove("a", id)
			delete(docs, id)
		}
		if step%100 != 99 || len(docs) == 0 {
			continue
		}
		if x.Len("a") != len(docs) {
			t.Fatalf("Len = %d, want %d", x.Len("a"), len(docs))
		}
		for range 5 {
			q := randomText(rng)
			k := 1 + rng.IntN(20)
			want := reference(docs, q, nil)
			sameResults(t, fmt.Sprintf("step %d %q k=%d", step, q, k), x.Search("a", q, k, nil), want[:min(k, len(want))])
			keep := func(id string) bool { return id[len(id)-1] != '3' }
			want = reference(docs, q, keep)
			sameResults(t, fmt.Sprintf("step %d %q k=%d filtered", step, q, k), x.Search("a", q, k, keep), want[:min(k, len(want))])
		}
	}
}

// TestSearchShown: after random adds, replacements (which keep the flag), removals (whose slots
// new documents reuse, shown) and changes of the flag, SearchShown returns what the reference
// computes with a keep that rejects the hidden documents, which still count in the statistics.
func TestSearchShown(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 3))
	x := New()
	docs := map[string]string{}
	hidden := map[string]bool{}
	for step := range 2000 {
		id := fmt.Sprintf("p%03d", rng.IntN(300))
		switch r := rng.IntN(10); {
		case r < 5:
			text := randomText(rng)
			x.Add("a", id, text)
			docs[id] = text
		case r < 8:
			on := rng.IntN(3) > 0
			x.SetHidden("a", id, on)
			if _, ok := docs[id]; ok && on {
				hidden[id] = true
			} else {
				delete(hidden, id)
			}
		default:
			x.Remove("a", id)
			delete(docs, id)
			delete(hidden, id)
		}
		if step%100 != 99 || len(docs) == 0 {
			continue
		}
		for id := range docs {
			if h, ok := x.Hidden("a", id); !ok || h != hidden[id] {
				t.Fatalf("step %d: Hidden(%s) = %v, %v; want %v", step, id, h, ok, hidden[id])
			}
		}
		for range 5 {
			q := randomText(rng)
			k := 1 + rng.IntN(20)
			shown := func(id string) bool { return !hidden[id] }
			want := reference(docs, q, shown)
			sameResults(t, fmt.Sprintf("step %d %q k=%d", step, q, k), x.SearchShown("a", q, k, nil), want[:min(k, len(want))])
			odd := func(id string) bool { return id[len(id)-1]%2 == 1 }
			want = reference(docs, q, func(id string) bool { return shown(id) && odd(id) })
			sameResults(t, fmt.Sprintf("step %d %q k=%d filtered", step, q, k), x.SearchShown("a", q, k, odd), want[:min(k, len(want))])
		}
	}
}

// TestAgentsAreSeparate: an agent's scores, order and cost depend on its own documents only:
// another agent's documents (another tenant's) neither appear in its results nor change its
// statistics.
func TestAgentsAreSeparate(t *testing.T) {
	x := New()
	mine := map[string]string{
		"m1": "Alice moved to Berlin in March.",
		"m2": "Alice lives in Paris and drinks coffee.",
		"m3": "Bob plays the guitar.",
	}
	for id, text := range mine {
		x.Add("a", id, text)
	}
	before := x.Search("a", "Alice Berlin coffee", 10, nil)
	sameResults(t, "alone", before, reference(mine, "Alice Berlin coffee", nil))
	// Another agent floods the index with the query's words.
	for i := range 500 {
		x.Add("b", fmt.Sprintf("o%03d", i), "Alice Alice Berlin coffee coffee coffee")
	}
	sameResults(t, "beside a crowded agent", x.Search("a", "Alice Berlin coffee", 10, nil), before)
	if got := x.Search("b", "guitar", 10, nil); len(got) != 0 {
		t.Fatalf("agent b finds agent a's document: %v", got)
	}
	x.RemoveAgent("b")
	if x.Len("b") != 0 || len(x.Search("b", "Alice", 10, nil)) != 0 {
		t.Fatal("RemoveAgent left documents")
	}
}

// TestOnePipeline: stems, stop words and codes are those of textproc: "running" finds "runs",
// a stop-word-only query finds nothing, and a version string is one term.
func TestOnePipeline(t *testing.T) {
	x := New()
	x.Add("a", "p1", "She runs every morning.")
	x.Add("a", "p2", "The API moved to version 4.2.1 of the endpoint.")
	x.Add("a", "p3", "Version 4 is old.")
	if got := x.Search("a", "running", 5, nil); len(got) != 1 || got[0].ID != "p1" {
		t.Fatalf("running: %v, want p1", got)
	}
	if got := x.Search("a", "the of and", 5, nil); len(got) != 0 {
		t.Fatalf("stop words only: %v, want nothing", got)
	}
	if got := x.Search("a", "4.2.1", 5, nil); len(got) != 1 || got[0].ID != "p2" {
		t.Fatalf("4.2.1: %v, want p2 only", got)
	}
	// Replacing a document's text replaces its postings.
	x.Add("a", "p1", "He walks.")
	if got := x.Search("a", "running", 5, nil); len(got) != 0 {
		t.Fatalf("after replacement, running: %v", got)
	}
	if got := x.Search("a", "walking", 5, nil); len(got) != 1 || got[0].ID != "p1" {
		t.Fatalf("after replacement, walking: %v", got)
	}
}

// TestConcurrentSearchAndWrite: searches running beside writers see consistent shards (run it
// under -race).
func TestConcurrentSearchAndWrite(t *testing.T) {
	x := New()
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 9))
			for i := range 500 {
				id := fmt.Sprintf("p%d", rng.IntN(50))
				if i%4 == 3 {
					x.Remove("a", id)
				} else {
					x.Add("a", id, randomText(rng))
				}
				for _, r := range x.Search("a", randomText(rng), 5, nil) {
					if r.Score <= 0 || math.IsNaN(r.Score) {
						t.Errorf("score %v", r.Score)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
}
