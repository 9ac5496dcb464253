package bench

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/memsvc/memsvc/embed"
	"github.com/memsvc/memsvc/pager"
	"github.com/memsvc/memsvc/stores"
	"github.com/memsvc/memsvc/validity"
)

// env is one suite's open stores and embedder. Services made from it share the stores.
type env struct {
	stores *stores.Stores
	emb    embed.Embedder
	logger *slog.Logger
	// scoring is validity.Default calibrated for emb (pager.CalibratedScoring).
	scoring validity.Config
	// persistent is set for a store that outlives the run (PostgreSQL): the agents the suite
	// creates are deleted at close.
	persistent bool

	mu      sync.Mutex
	agents  []string
	closers []func() error
}

// openEnv opens the stores a suite runs on, as the service opens them (stores.Open, migrations
// applied): a fresh embedded store in a temporary directory, removed by close, for "" or
// "embedded"; otherwise a postgres:// URL. It is the one place that opens stores. emb nil is
// the built-in embedder.
func openEnv(ctx context.Context, store string, emb embed.Embedder, logger *slog.Logger) (*env, error) {
	if emb == nil {
		b := embed.NewBuiltin()
		if err := b.Load(); err != nil {
			return nil, err
		}
		emb = b
	}
	e := &env{emb: emb, logger: logger}
	cfg := stores.Config{Store: store, Dim: e.emb.Dim(), Migrate: true, Logger: logger}
	switch {
	case store == "" || store == "embedded":
		dir, err := os.MkdirTemp("", "memsvc-bench-")
		if err != nil {
			return nil, fmt.Errorf("bench: temp dir: %w", err)
		}
		e.closers = append(e.closers, func() error { return os.RemoveAll(dir) })
		cfg.Store, cfg.Data = "embedded", dir
	case stores.IsPostgres(store):
		e.persistent = true
	default:
		return nil, fmt.Errorf("bench: store %q: want embedded or a postgres:// URL", store)
	}
	st, err := stores.Open(ctx, cfg)
	if err != nil {
		return nil, errors.Join(err, e.close())
	}
	e.stores = st
	// The scorer's thresholds, carried to the embedder's own similarity distribution, as the
	// service does at start-up.
	if e.scoring, err = pager.CalibratedScoring(ctx, e.emb); err != nil {
		return nil, errors.Join(err, e.close())
	}
	e.closers = append(e.closers, st.Close)
	if err := st.State.CheckEmbedder(ctx, e.emb.Model(), e.emb.Dim()); err != nil {
		return nil, errors.Join(err, e.close())
	}
	return e, nil
}

// config is the pager configuration of a service on the env's stores whose clock reads now
// (nil: real time).
func (e *env) config(now func() time.Time) pager.Config {
	return pager.Config{Store: e.stores.State, Archival: e.stores.Archival, Embedder: e.emb, Logger: e.logger, Now: now, Scoring: e.scoring}
}

// service returns a pager service on the env's stores whose clock reads now (nil: real time).
func (e *env) service(now func() time.Time) (*pager.Service, error) { return pager.New(e.config(now)) }

// createAgent makes a bench agent that is not handed the memory tools; on a persistent store
// close deletes it again.
func (e *env) createAgent(ctx context.Context, svc *pager.Service, name string) (string, error) {
	no := false
	a, err := svc.CreateAgent(ctx, pager.AgentSpec{Name: name, System: "memsvc bench agent.", ToolsInContext: &no})
	if err != nil {
		return "", fmt.Errorf("bench: create agent: %w", err)
	}
	if e.persistent {
		e.mu.Lock()
		e.agents = append(e.agents, a.ID)
		e.mu.Unlock()
	}
	return a.ID, nil
}

// close deletes the agents left on a persistent store, then releases everything in reverse
// order of opening.
func (e *env) close() error {
	var errs []error
	if len(e.agents) > 0 {
		if svc, err := e.service(nil); err == nil {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			for _, id := range e.agents {
				errs = append(errs, svc.DeleteAgent(ctx, id))
			}
			cancel()
		}
		e.agents = nil
	}
	for i := len(e.closers) - 1; i >= 0; i-- {
		errs = append(errs, e.closers[i]())
	}
	e.closers = nil
	return errors.Join(errs...)
}

// tickingClock returns a clock that reads t, then a millisecond more at every reading: record
// times (created_at) follow arrival order, as they would in a live service, so that ties in
// relevance break the same way on every run; the scorer's "now" stays within seconds of t.
func tickingClock(t time.Time) func() time.Time {
	var n atomic.Int64
	return func() time.Time { return t.Add(time.Duration(n.Add(1)-1) * time.Millisecond) }
}
