package compaction

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"

	"github.com/memsvc/memsvc/embed"
	"github.com/memsvc/memsvc/pager"
	"github.com/memsvc/memsvc/pgdb/pgdbtest"
	"github.com/memsvc/memsvc/state"
	"github.com/memsvc/memsvc/stores"
)

// backend names a store to run a test on: the embedded one always, PostgreSQL when
// TEST_DATABASE_URL is set (required when MEMSVC_REQUIRE_BACKENDS=1).
type backend struct {
	name   string
	config func(t testing.TB) stores.Config
}

func backends() []backend {
	return []backend{
		{"embedded", func(t testing.TB) stores.Config { return stores.Config{Data: t.TempDir()} }},
		{"postgres", func(t testing.TB) stores.Config {
			return stores.Config{Store: pgdbtest.Schema(shortName{t}), Migrate: true}
		}},
	}
}

// shortName names a test's PostgreSQL schema briefly: River's notification channels are named
// after the schema, and PostgreSQL cuts channel names at 63 bytes.
type shortName struct{ testing.TB }

func (shortName) Name() string { return "cmp" }

// clock is a test clock: real time, or frozen and moved by hand.
type clock struct {
	mu     sync.Mutex
	frozen bool
	t      time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.frozen {
		return time.Now()
	}
	return c.t
}

func (c *clock) Freeze(t time.Time) {
	c.mu.Lock()
	c.frozen, c.t = true, t
	c.mu.Unlock()
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type env struct {
	t     testing.TB
	st    *stores.Stores
	svc   *pager.Service
	comp  *Service
	clock *clock
	reg   *prometheus.Registry
}

// newEnv opens the stores, a pager with the summarizer (nil: extractive) and a compaction
// service configured for tests (fast polling) and changed by mod. start starts it.
func newEnv(t testing.TB, b backend, sum pager.Summarizer, mod func(*Config), start bool) *env {
	t.Helper()
	ctx := state.WithTenant(context.Background(), state.DefaultTenant)
	emb := embed.NewBuiltin()
	if err := emb.Load(); err != nil {
		t.Fatal(err)
	}
	sc := b.config(t)
	sc.Dim = emb.Dim()
	st, err := stores.Open(ctx, sc)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, st: st, clock: &clock{}, reg: prometheus.NewRegistry()}
	t.Cleanup(func() { st.Close() })
	e.svc, err = pager.New(pager.Config{Store: st.State, Archival: st.Archival, Embedder: emb, Summarizer: sum, Now: e.clock.Now,
		EmbedInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{
		Pager: e.svc, Store: st.State, Archival: st.Archival, Embedder: emb, Now: e.clock.Now, Registerer: e.reg,
		NewQueue:     func(rc *river.Config) (Queue, error) { return st.NewJobQueue(rc) },
		Logger:       testLogger(t),
		PollInterval: 20 * time.Millisecond, Lease: 3 * time.Second,
		Backoff: func(int) time.Duration { return 20 * time.Millisecond },
	}
	if mod != nil {
		mod(&cfg)
	}
	if e.comp, err = New(cfg); err != nil {
		t.Fatal(err)
	}
	if start {
		e.start()
	}
	return e
}

func (e *env) start() {
	e.t.Helper()
	if err := e.comp.Start(state.WithTenant(context.Background(), state.DefaultTenant)); err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(state.WithTenant(context.Background(), state.DefaultTenant), 10*time.Second)
		defer cancel()
		if err := e.comp.Stop(ctx); err != nil {
			e.t.Errorf("stop: %v", err)
		}
	})
}

func (e *env) agent(window int) string {
	e.t.Helper()
	no := false
	a, err := e.svc.CreateAgent(state.WithTenant(context.Background(), state.DefaultTenant), pager.AgentSpec{Name: "t", System: "You are a helpful assistant.",
		ContextWindow: window, ToolsInContext: &no})
	if err != nil {
		e.t.Fatal(err)
	}
	return a.ID
}

// appendUntilEvicted appends numbered messages (content made by text) until n compactions are
// queued, and returns their IDs.
func (e *env) appendUntilEvicted(agentID string, n int, text func(i int) string) []string {
	e.t.Helper()
	var jobs []string
	for i := 0; len(jobs) < n; i++ {
		if i > 1000 {
			e.t.Fatalf("no eviction after %d appends", i)
		}
		res, err := e.svc.Append(state.WithTenant(context.Background(), state.DefaultTenant), agentID, []pager.MessageInput{{Role: "user", Content: text(i)}})
		if err != nil {
			e.t.Fatal(err)
		}
		for _, ev := range res.Events {
			if ev.Type == pager.EventCompactionQueued {
				jobs = append(jobs, ev.JobID)
				e.comp.Wake()
			}
		}
	}
	return jobs
}

// wait waits until the compactions finish and returns them.
func (e *env) wait(ids ...string) []Job {
	e.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	out := make([]Job, len(ids))
	for i, id := range ids {
		for {
			j, err := e.comp.Job(state.WithTenant(context.Background(), state.DefaultTenant), id)
			if err != nil {
				e.t.Fatal(err)
			}
			if j.Status == state.CompactionSucceeded || j.Status == state.CompactionFailed {
				out[i] = j
				break
			}
			if time.Now().After(deadline) {
				e.t.Fatalf("compaction %s did not finish: %+v", id, j)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	return out
}

func note(i int) string {
	return fmt.Sprintf("Note %d: the parcel for order %d goes to dock %d, and we talked about the weather and the harbour.", i, 1000+i, i%7)
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(p))
	return len(p), nil
}

func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
}
