package bench

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// LadderStep is archival search latency at one corpus size, over HTTP. The top-level
// percentiles are the default search (mode full); Modes holds bm25 and relevance (the lexical
// and dense halves alone).
type LadderStep struct {
	Passages    int     `json:"passages"` // per agent
	Agents      int     `json:"agents"`
	PeakRSSMB   float64 `json:"peak_rss_mb,omitempty"` // after the rung; in-process only
	FillSeconds float64 `json:"fill_seconds"`
	InsertRPS   float64 `json:"insert_rps"`
	// SettleSeconds is how long after the fill the embedded store's vector index took to link its
	// backlog (the searches are timed after it); in-process embedded store only.
	SettleSeconds float64            `json:"settle_seconds,omitempty"`
	Latency                          // mode full
	Modes         map[string]Latency `json:"modes"`
}

// ladderFillers is how many concurrent clients insert the ladder's passages, and ladderBatch how
// many passages each sends per POST …/archival/batch (the bulk path; one transaction each).
const (
	ladderFillers = 2
	ladderBatch   = 500
)

// runLadder grows cfg.LadderAgents agents' archival memory through cfg.Ladder (sizes per agent)
// and times LadderQueries searches per mode at each size, rotating over the agents.
func runLadder(ctx context.Context, cfg *LoadConfig, c *client, settle func(context.Context) (time.Duration, error)) ([]LadderStep, error) {
	if len(cfg.Ladder) == 0 || cfg.Ladder[len(cfg.Ladder)-1] <= 0 {
		return nil, nil
	}
	ids := make([]string, cfg.LadderAgents)
	for a := range ids {
		id, err := c.createAgent(ctx, fmt.Sprint("ladder ", a), cfg.Window)
		if err != nil {
			return nil, err
		}
		ids[a] = id
	}
	corp := loadCorpus(cfg.Seed+1000, cfg.Ladder[len(cfg.Ladder)-1])
	var steps []LadderStep
	have := 0
	for _, size := range cfg.Ladder {
		if size <= have {
			continue
		}
		t0 := time.Now()
		stop, err := startProfile(cfg.ProfileDir, fmt.Sprintf("ladder-%d-fill.pprof", size))
		if err != nil {
			return nil, err
		}
		for a, id := range ids {
			if err = fillLadder(ctx, cfg, c, id, corp, a, have, size); err != nil {
				break
			}
		}
		fill := time.Since(t0)
		if err = errors.Join(err, stop()); err != nil {
			return nil, err
		}
		step := LadderStep{Passages: size, Agents: len(ids), FillSeconds: round4(fill.Seconds()),
			InsertRPS: round4(float64((size-have)*len(ids)) / fill.Seconds()), Modes: map[string]Latency{}}
		have = size
		if settle != nil {
			d, err := settle(ctx)
			if err != nil {
				return nil, err
			}
			step.SettleSeconds = round4(d.Seconds())
		}
		prog := newProgress(&cfg.Common, fmt.Sprintf("load: ladder %d search", size), 3*cfg.LadderQueries)
		if stop, err = startProfile(cfg.ProfileDir, fmt.Sprintf("ladder-%d-search.pprof", size)); err != nil {
			prog.finish()
			return nil, err
		}
		for _, m := range []Mode{ModeFull, ModeBM25, ModeRelevance} {
			ms := make([]float64, 0, cfg.LadderQueries)
			for i := range cfg.LadderQueries {
				q := m.Query(corp.questions[i%len(corp.questions)], 10)
				t := time.Now()
				if err := c.post(ctx, agentPath(ids[i%len(ids)], "/archival/search"), q, nil); err != nil {
					prog.finish()
					return nil, errors.Join(fmt.Errorf("bench: ladder search at %d: %w", size, err), stop())
				}
				ms = append(ms, float64(time.Since(t).Microseconds())/1000)
				prog.add(1)
			}
			if m == ModeFull {
				step.Latency = latencyOf(ms)
			} else {
				step.Modes[string(m)] = latencyOf(ms)
			}
		}
		prog.finish()
		if err := stop(); err != nil {
			return nil, err
		}
		if cfg.URL == "" {
			step.PeakRSSMB = peakRSSMB()
		}
		steps = append(steps, step)
	}
	return steps, nil
}

// ladderPlaces are the words of the place phrase ladderText adds.
var ladderPlaces = strings.Fields(`river garden market station harbour bridge library museum school
	office hospital church castle forest beach island valley mountain village city airport hotel
	restaurant bakery stadium theatre cinema park square tower factory farm lake desert canyon
	meadow orchard vineyard temple palace gallery studio clinic pharmacy warehouse workshop
	laboratory university college kitchen cellar attic balcony`)

// unlinkedIndex is the embedded archival store's view of its vector index's backlog.
type unlinkedIndex interface{ Unlinked() int }

// settleIndex returns a wait for the backlog of ix to be linked, polling it, or nil when ix has
// none to report (PostgreSQL, Qdrant). Searches timed before it would measure the linkers'
// catching up rather than the index; the wait itself is reported.
func settleIndex(ix any) func(context.Context) (time.Duration, error) {
	u, ok := ix.(unlinkedIndex)
	if !ok {
		return nil
	}
	return func(ctx context.Context) (time.Duration, error) {
		t0 := time.Now()
		for u.Unlinked() > 0 {
			select {
			case <-ctx.Done():
				return time.Since(t0), ctx.Err()
			case <-time.After(50 * time.Millisecond):
			}
		}
		return time.Since(t0), nil
	}
}

// ladderText is the ladder's i-th passage: a fact of corp with a place phrase ("… near the
// river by the garden.", 2,809 of them) added, so that passages seldom embed alike. The facts
// alone repeat (corp holds about 49k distinct texts per 100k, and fewer distinct embeddings,
// since dense text leaves out the subject's name), and an index that scores each distinct
// vector once would make a large agent look cheaper than one of real, varied text.
func ladderText(corp corpus, i int) string {
	n := len(ladderPlaces)
	t := strings.TrimSuffix(corp.texts[i%len(corp.texts)], ".")
	return t + " near the " + ladderPlaces[i%n] + " by the " + ladderPlaces[(i/n)%n] + "."
}

// fillLadder inserts passages from..to-1 of corp into the agent (the a-th of the ladder) with
// ladderFillers clients, in batches of ladderBatch.
func fillLadder(ctx context.Context, cfg *LoadConfig, c *client, agentID string, corp corpus, a, from, to int) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	prog := newProgress(&cfg.Common, fmt.Sprintf("load: ladder fill %d", to), to-from)
	defer prog.finish()
	var (
		next  atomic.Int64
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
	)
	next.Store(int64(from))
	for range ladderFillers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				lo := int(next.Add(ladderBatch) - ladderBatch)
				if lo >= to || ctx.Err() != nil {
					return
				}
				hi := min(lo+ladderBatch, to)
				batch := make([]map[string]any, 0, hi-lo)
				for i := lo; i < hi; i++ {
					batch = append(batch, map[string]any{"text": ladderText(corp, a*7919+i)})
				}
				err := c.post(ctx, agentPath(agentID, "/archival/batch"), map[string]any{"passages": batch}, nil)
				if err != nil {
					mu.Lock()
					if first == nil {
						first = fmt.Errorf("bench: ladder insert: %w", err)
					}
					mu.Unlock()
					cancel()
					return
				}
				prog.add(hi - lo)
			}
		}()
	}
	wg.Wait()
	return first
}

// startProfile starts a CPU profile into dir/name and returns the function that stops it and
// closes the file; with no dir it does nothing.
func startProfile(dir, name string) (stop func() error, err error) {
	if dir == "" {
		return func() error { return nil }, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("bench: profile: %w", err)
	}
	f, err := os.Create(filepath.Join(dir, name))
	if err != nil {
		return nil, fmt.Errorf("bench: profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("bench: profile: %w", err)
	}
	return func() error {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			return fmt.Errorf("bench: profile: %w", err)
		}
		return nil
	}, nil
}
