package bench

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/memsvc/memsvc/state"
	"github.com/memsvc/memsvc/stores"
)

// LoadConfig configures RunLoad.
type LoadConfig struct {
	Common
	// URL is a running memsvc; "" starts one in-process on Common.Store. APIKey, when set, is
	// sent as a bearer token.
	URL    string
	APIKey string
	// Duration of the concurrent phase (default 10s); Agents run it at once (default 8).
	Duration time.Duration
	Agents   int
	// SeedPassages are stored per agent before the clock starts (default 200).
	SeedPassages int
	// Window is each agent's context window in tokens (default 2048, so that agents page).
	Window int
	// Ladder lists the corpus sizes, ascending, one agent grows through (default 1000, 10000);
	// LadderQueries searches are timed at each (default 100).
	Ladder        []int
	LadderQueries int
	// LadderAgents agents (default 1) grow alike through the Ladder sizes, which are per agent;
	// the timed searches rotate over them. 100 agents and a rung of 10,000 hold 1M passages.
	LadderAgents int
	// Rates lists the append rates (per second) of the open-loop phase, each offered for
	// RateDuration (default 5s) over the agents; none by default.
	Rates        []int
	RateDuration time.Duration
	// ProfileDir, when set, receives a CPU profile of each ladder rung's fill and search phase
	// (ladder-N-fill.pprof, ladder-N-search.pprof). It profiles this process, so it says
	// something only of the in-process server.
	ProfileDir string
}

func (c *LoadConfig) setDefaults() {
	c.Common.setDefaults()
	if c.Duration <= 0 {
		c.Duration = 10 * time.Second
	}
	if c.Agents <= 0 {
		c.Agents = 8
	}
	if c.SeedPassages <= 0 {
		c.SeedPassages = 200
	}
	if c.Window <= 0 {
		c.Window = 2048
	}
	if c.Ladder == nil {
		c.Ladder = []int{1000, 10000}
	}
	sort.Ints(c.Ladder)
	if c.LadderAgents <= 0 {
		c.LadderAgents = 1
	}
	if c.LadderQueries <= 0 {
		c.LadderQueries = 100
	}
	if c.RateDuration <= 0 {
		c.RateDuration = 5 * time.Second
	}
}

// LoadResult is the outcome of the load suite. Latencies are in milliseconds.
type LoadResult struct {
	Suite         string                    `json:"suite"`
	Target        string                    `json:"target"`
	Agents        int                       `json:"agents"`
	DurationS     float64                   `json:"duration_s"`
	Endpoints     map[string]*EndpointStats `json:"endpoints"`
	EndpointOrder []string                  `json:"endpoint_order"`
	// PeakRSSMB is the process's peak resident set (VmHWM) after the concurrent phase, and
	// PeakRSSLadderMB after the ladder; both include the load generator. Zero with PeakRSSNote
	// when the server runs elsewhere.
	PeakRSSMB       float64        `json:"peak_rss_mb,omitempty"`
	PeakRSSLadderMB float64        `json:"peak_rss_after_ladder_mb,omitempty"`
	PeakRSSNote     string         `json:"peak_rss_note,omitempty"`
	OpenLoop        []OpenLoopStep `json:"open_loop"`
	Ladder          []LadderStep   `json:"ladder"`
	Seconds         float64        `json:"seconds"`
}

// The endpoints the concurrent phase calls, and the share of operations each gets.
const (
	epAppend         = "append"
	epRecallSearch   = "recall_search"
	epArchivalSearch = "archival_search"
	epArchivalInsert = "archival_insert"
)

var loadMix = []struct {
	endpoint string
	share    int
}{{epAppend, 40}, {epRecallSearch, 20}, {epArchivalSearch, 30}, {epArchivalInsert, 10}}

// RunLoad runs Agents closed-loop clients against memsvc's HTTP API for Duration: each appends
// messages, searches recall and archival memory, and inserts passages, in the proportions of
// loadMix. Then it offers appends at each of Rates in open loop (runOpenLoop), and grows one
// agent's archival memory through the Ladder sizes and times archival searches at each.
func RunLoad(ctx context.Context, cfg LoadConfig) (*LoadResult, error) {
	ctx = state.WithTenant(ctx, state.DefaultTenant) // the bench is a client of the default tenant
	cfg.setDefaults()
	start := time.Now()
	res := &LoadResult{Suite: "load", Agents: cfg.Agents, Target: cfg.URL, Endpoints: map[string]*EndpointStats{}}
	base := cfg.URL
	var settle func(context.Context) (time.Duration, error)
	if base == "" {
		srv, err := startServer(ctx, &cfg.Common)
		if err != nil {
			return nil, err
		}
		defer srv.close()
		base, res.Target = srv.URL, "in-process"
		settle = settleIndex(srv.env.stores.Archival)
	}
	c := newClient(base, cfg.APIKey, cfg.Agents+4)
	if cfg.URL != "" || stores.IsPostgres(cfg.Store) {
		defer c.deleteCreated() // the store outlives the run
	}
	corpus := loadCorpus(cfg.Seed, cfg.SeedPassages*cfg.Agents+cfg.Agents*8)
	agents, err := seedAgents(ctx, &cfg, c, corpus)
	if err != nil {
		return nil, err
	}
	stats, elapsed, err := runMix(ctx, &cfg, c, agents, corpus)
	if err != nil {
		return nil, err
	}
	res.DurationS = round4(elapsed.Seconds())
	for _, m := range loadMix {
		res.EndpointOrder = append(res.EndpointOrder, m.endpoint)
		res.Endpoints[m.endpoint] = stats[m.endpoint].summary(elapsed)
	}
	if cfg.URL == "" {
		res.PeakRSSMB = peakRSSMB()
	} else {
		res.PeakRSSNote = "unavailable: the server runs in another process (--url)"
	}
	if res.OpenLoop, err = runOpenLoop(ctx, &cfg, base, agents, corpus); err != nil {
		return nil, err
	}
	if res.Ladder, err = runLadder(ctx, &cfg, c, settle); err != nil {
		return nil, err
	}
	if res.Ladder == nil {
		res.Ladder = []LadderStep{}
	}
	if cfg.URL == "" {
		res.PeakRSSLadderMB = peakRSSMB()
	}
	res.Seconds = round4(time.Since(start).Seconds())
	return res, nil
}

// corpus is what load requests say: texts to append and store, questions to search with.
type corpus struct{ texts, questions []string }

// loadCorpus returns at least n texts (the facts of generated stale streams) and the questions
// that ask about them.
func loadCorpus(seed int64, n int) corpus {
	var c corpus
	for i := int64(0); len(c.texts) < n; i++ {
		for _, s := range GenerateStale(StaleGenConfig{Seed: seed + i, Subjects: len(firstNames), PerAgent: len(firstNames)}) {
			for _, f := range s.Facts {
				c.texts = append(c.texts, f.Text)
			}
			for _, sl := range s.Slots {
				c.questions = append(c.questions, sl.Question)
			}
		}
	}
	return c
}

// seedAgents creates the agents and stores SeedPassages passages for each, concurrently.
func seedAgents(ctx context.Context, cfg *LoadConfig, c *client, corp corpus) ([]string, error) {
	agents := make([]string, cfg.Agents)
	prog := newProgress(&cfg.Common, "load: seed agents", cfg.Agents*cfg.SeedPassages)
	defer prog.finish()
	errs := make([]error, cfg.Agents)
	var wg sync.WaitGroup
	for i := range agents {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id, err := c.createAgent(ctx, "load "+strconv.Itoa(i), cfg.Window)
			if err != nil {
				errs[i] = err
				return
			}
			agents[i] = id
			for j := range cfg.SeedPassages {
				text := corp.texts[(i*cfg.SeedPassages+j)%len(corp.texts)]
				if err := c.post(ctx, agentPath(id, "/archival"), map[string]any{"text": text}, nil); err != nil {
					errs[i] = fmt.Errorf("bench: seed passage: %w", err)
					return
				}
				prog.add(1)
			}
		}()
	}
	wg.Wait()
	return agents, errors.Join(errs...)
}

// runMix runs the closed loops and returns every endpoint's latencies and the phase's length.
func runMix(ctx context.Context, cfg *LoadConfig, c *client, agents []string, corp corpus) (map[string]*endpointTimes, time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, cfg.Duration)
	defer cancel()
	prog := newProgress(&cfg.Common, "load: run", int(cfg.Duration/time.Second))
	tick := time.NewTicker(time.Second)
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				prog.add(1)
			}
		}
	}()
	defer tick.Stop()
	var (
		mu  sync.Mutex
		all = map[string]*endpointTimes{}
		wg  sync.WaitGroup
	)
	total := 0
	for _, m := range loadMix {
		total += m.share
	}
	start := time.Now()
	for i, id := range agents {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(cfg.Seed), uint64(i)))
			mine := map[string]*endpointTimes{}
			for n := 0; ctx.Err() == nil; n++ {
				ep := pickEndpoint(rng.IntN(total))
				body, path := loadRequest(ep, id, n, rng, corp)
				t0 := time.Now()
				err := c.post(ctx, path, body, nil)
				ms := float64(time.Since(t0).Microseconds()) / 1000
				if ctx.Err() != nil {
					break // cut off by the end of the phase: not a sample
				}
				t := mine[ep]
				if t == nil {
					t = &endpointTimes{}
					mine[ep] = t
				}
				t.ms = append(t.ms, ms)
				if err != nil {
					t.errors++
					if t.firstErr == "" {
						t.firstErr = err.Error()
					}
				}
			}
			mu.Lock()
			defer mu.Unlock()
			for ep, t := range mine {
				a := all[ep]
				if a == nil {
					a = &endpointTimes{}
					all[ep] = a
				}
				a.ms = append(a.ms, t.ms...)
				a.errors += t.errors
				if a.firstErr == "" {
					a.firstErr = t.firstErr
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	prog.finish()
	return all, elapsed, nil
}

func pickEndpoint(r int) string {
	for _, m := range loadMix {
		if r < m.share {
			return m.endpoint
		}
		r -= m.share
	}
	return loadMix[0].endpoint
}

// loadRequest builds the n-th request of an agent to endpoint ep.
func loadRequest(ep, agentID string, n int, rng *rand.Rand, corp corpus) (body any, path string) {
	text := corp.texts[rng.IntN(len(corp.texts))]
	question := corp.questions[rng.IntN(len(corp.questions))]
	switch ep {
	case epAppend:
		role := "user"
		if n%2 == 1 {
			role = "assistant"
		}
		return map[string]any{"messages": []map[string]any{{"role": role, "content": text}}}, agentPath(agentID, "/messages")
	case epRecallSearch:
		return map[string]any{"query": question, "k": 10}, agentPath(agentID, "/recall/search")
	case epArchivalSearch:
		return map[string]any{"query": question, "k": 10}, agentPath(agentID, "/archival/search")
	}
	return map[string]any{"text": text}, agentPath(agentID, "/archival")
}
