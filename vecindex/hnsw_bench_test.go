package vecindex

import (
	"fmt"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"
)

// benchSet is one agent of 100k text-like vectors of dimension 100 in an HNSW with default
// parameters and in an Exact, built once per test binary and shared by the benchmarks below.
var benchSet struct {
	once     sync.Once
	h        *HNSW
	x        *Exact
	gen      *textLike
	queries  [][]float32
	build    time.Duration
	bytesPer float64 // heap bytes per vector held by the HNSW (vectors, graph, ids and map)
}

const benchN, benchDim = 100_000, 100

func loadBenchSet(b *testing.B) {
	b.Helper()
	benchSet.once.Do(func() {
		g := newTextLike(benchDim, 42)
		vecs := make([][]float32, benchN)
		ids := make([]string, benchN)
		for i := range vecs {
			vecs[i], ids[i] = g.next(), fmt.Sprint("p", i)
		}
		var m0, m1 runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&m0)
		h := NewHNSW(benchDim)
		start := time.Now()
		for i, v := range vecs {
			h.Add("agent", ids[i], v)
		}
		h.Flush() // link what the background linker has not yet
		benchSet.build = time.Since(start)
		runtime.GC()
		runtime.ReadMemStats(&m1)
		benchSet.bytesPer = float64(m1.HeapAlloc-m0.HeapAlloc) / benchN
		// The ids are the caller's strings, shared with the index: count their bytes as the
		// index's, as a caller that kept no other copy would.
		x := NewExact(benchDim)
		for i, v := range vecs {
			x.Add("agent", ids[i], v)
		}
		benchSet.h, benchSet.x, benchSet.gen = h, x, g
		for range 256 {
			benchSet.queries = append(benchSet.queries, g.next())
		}
	})
}

// reportBenchSet reports the shared index's size and build time; call it after the timed loop
// (resetting the timer drops reported metrics).
func reportBenchSet(b *testing.B) {
	b.ReportMetric(benchSet.bytesPer, "B/vec")
	b.ReportMetric(benchSet.build.Seconds(), "build-s")
}

// BenchmarkHNSWSearch measures one search of 100k text-like vectors (dimension 100) with the
// default parameters, for k = 10 and k = 200, with and without a filter rejecting 20%, and for
// k = 200 also forced through the graph (which the default leaves for a scan at this size). It
// reports recall against Exact (over 256 queries, outside the timer), the median and 99th
// percentile latency, and the index's heap bytes per vector.
func BenchmarkHNSWSearch(b *testing.B) {
	loadBenchSet(b)
	b.Run("exact-k=10", func(b *testing.B) { // the scan HNSW replaces, on the same vectors
		for i := 0; b.Loop(); i++ {
			benchSet.x.Search("agent", benchSet.queries[i%len(benchSet.queries)], 10, nil)
		}
	})
	h, x, qs := benchSet.h, benchSet.x, benchSet.queries
	for _, c := range []struct {
		k          int
		filter     string
		forceGraph bool // walk the graph even where the default would scan
	}{
		{10, "all", false}, {10, "reject20", false},
		{200, "all", false}, // at 100k vectors of dimension 100, the default scans for k=200
		{200, "all", true}, {200, "reject20", true},
	} {
		k, keep := c.k, (func(string) bool)(nil)
		if c.filter == "reject20" {
			keep = rejects20
		}
		name := fmt.Sprintf("k=%d/%s", k, c.filter)
		if c.forceGraph {
			name += "/graph"
		}
		h.graphOnly = c.forceGraph
		b.Run(name, func(b *testing.B) {
			hits := map[int][2]int{}
			for _, q := range qs {
				got, want := h.Search("agent", q, k, keep), x.Search("agent", q, k, keep)
				for _, at := range []int{10, 100, 200} {
					if at <= k {
						a, t := recallAt(got, want, at)
						hits[at] = [2]int{hits[at][0] + a, hits[at][1] + t}
					}
				}
			}
			var lat []time.Duration
			for i := 0; b.Loop(); i++ {
				t0 := time.Now()
				if got := h.Search("agent", qs[i%len(qs)], k, keep); len(got) != k {
					b.Fatalf("got %d results", len(got))
				}
				lat = append(lat, time.Since(t0))
			}
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds()), "p50-ns")
			b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds()), "p99-ns")
			for at, ht := range hits {
				b.ReportMetric(float64(ht[0])/float64(ht[1]), fmt.Sprintf("recall@%d", at))
			}
			reportBenchSet(b)
		})
	}
	h.graphOnly = false
}

// BenchmarkHNSWAdd measures one Add of a new vector to the 100k-vector agent of
// BenchmarkHNSWSearch (removing the added vectors afterwards, outside the timer), and reports
// the time the 100k-vector build took.
func BenchmarkHNSWAdd(b *testing.B) {
	loadBenchSet(b)
	h, g := benchSet.h, benchSet.gen
	vecs := make([][]float32, 0, 1024)
	for range cap(vecs) {
		vecs = append(vecs, g.next())
	}
	var added []string
	for i := 0; b.Loop(); i++ {
		id := fmt.Sprint("add-", i)
		h.Add("agent", id, vecs[i%len(vecs)])
		added = append(added, id)
	}
	b.StopTimer()
	for _, id := range added {
		h.Remove("agent", id)
	}
	reportBenchSet(b)
}
