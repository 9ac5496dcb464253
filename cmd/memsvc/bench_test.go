package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// benchServer starts memsvc on a temp dir with n agents (large windows, so no eviction skews the
// figures) and returns an HTTP client tuned for many concurrent connections.
func benchServer(b *testing.B, n int) (*Main, *http.Client, []string) {
	b.Helper()
	m := NewMain(io.Discard)
	if err := m.ParseFlags([]string{"--addr", "127.0.0.1:0", "--data", b.TempDir()}); err != nil {
		b.Fatal(err)
	}
	if err := m.Run(b.Context()); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { m.Close() })
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256, MaxConnsPerHost: 256}}
	base := "http://" + m.Addr()
	ids := make([]string, n)
	for i := range ids {
		body := fmt.Sprintf(`{"name":"bench-%d","context_window":128000}`, i)
		resp, err := hc.Post(base+"/v1/agents", "application/json", bytes.NewBufferString(body))
		if err != nil {
			b.Fatal(err)
		}
		var a struct{ ID string }
		json.NewDecoder(resp.Body).Decode(&a)
		resp.Body.Close()
		ids[i] = a.ID
	}
	return m, hc, ids
}

func appendOnce(hc *http.Client, base, agentID string, i int) error {
	body := fmt.Sprintf(`{"messages":[{"role":"user","content":"message %d: we talked about the garden, the weather and the trip to Lisbon."}]}`, i)
	resp, err := hc.Post(base+"/v1/agents/"+agentID+"/messages", "application/json", bytes.NewBufferString(body))
	if err != nil {
		return err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	return nil
}

// BenchmarkHTTPAppendOpenLoop offers appends at a fixed rate (1,000/s spread over 64 agents) for
// b.N requests, whatever the server's speed (open loop: a slow answer does not slow the offer),
// and reports latency percentiles measured from each request's scheduled start.
func BenchmarkHTTPAppendOpenLoop(b *testing.B) {
	const agents, rate = 64, 1000
	m, hc, ids := benchServer(b, agents)
	base := "http://" + m.Addr()
	interval := time.Second / rate
	lat := make([]time.Duration, 0, b.N)
	var mu sync.Mutex
	var failed atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		at := start.Add(time.Duration(i) * interval)
		time.Sleep(time.Until(at))
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			if err := appendOnce(hc, base, ids[i%agents], i); err != nil {
				failed.Add(1)
				return
			}
			d := time.Since(at)
			mu.Lock()
			lat = append(lat, d)
			mu.Unlock()
		}(i)
	}
	wg.Wait()
	b.StopTimer()
	if failed.Load() > 0 {
		b.Fatalf("%d appends failed", failed.Load())
	}
	slices.Sort(lat)
	pct := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000 }
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(rate, "offered/s")
}

// BenchmarkHTTPAppendPeak runs 64 closed-loop clients, each appending to its own agent as fast
// as answers come, and reports the throughput.
func BenchmarkHTTPAppendPeak(b *testing.B) {
	const clients = 64
	m, hc, ids := benchServer(b, clients)
	base := "http://" + m.Addr()
	var next atomic.Int64
	var failed atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1)
				if i > int64(b.N) {
					return
				}
				if err := appendOnce(hc, base, ids[c], int(i)); err != nil {
					failed.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if failed.Load() > 0 {
		b.Fatalf("%d appends failed", failed.Load())
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "appends/s")
}

// `memsvc bench updates` runs the technical update chains on a small sample and prints one
// JSON object with each variant's figures per mode.
func TestBenchUpdatesJSON(t *testing.T) {
	var out bytes.Buffer
	args := []string{"updates", "--chains", "6", "--per-agent", "3", "--filler", "20", "--modes", "bm25,full", "--embedder", "glove", "--json", "--quiet"}
	if err := runBench(t.Context(), args, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	var res struct {
		Suite    string                               `json:"suite"`
		Chains   int                                  `json:"chains"`
		Passages int                                  `json:"passages"`
		Modes    map[string]map[string]map[string]any `json:"modes"`
	}
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	if res.Suite != "updates" || res.Chains != 6 || res.Passages < 6*2*2+2*20 {
		t.Fatalf("suite %q, %d chains, %d passages", res.Suite, res.Chains, res.Passages)
	}
	for _, m := range []string{"bm25", "full"} {
		for _, v := range []string{"alone", "crowded"} {
			g := res.Modes[m][v]
			if g["n"] != float64(6) {
				t.Fatalf("%s %s: %v, want 6 questions", m, v, g)
			}
			for _, k := range []string{"newest@1", "clean@5", "first@5", "older@5", "mrr"} {
				if x, ok := g[k].(float64); !ok || x < 0 || x > 1 {
					t.Fatalf("%s %s %s = %v, want a share", m, v, k, g[k])
				}
			}
		}
	}
}
