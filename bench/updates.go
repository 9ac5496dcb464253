package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"time"

	"github.com/memsvc/memsvc/pager"
	"github.com/memsvc/memsvc/state"
)

// UpdatesConfig configures RunUpdates.
type UpdatesConfig struct {
	Common
	Gen UpdatesGenConfig
}

// UpdatesResult is the outcome of the updates suite: per mode, one Group per variant.
//
//   - alone: each chain in an agent of its own, nothing else stored;
//   - crowded: UpdatesGenConfig.PerAgent chains in an agent among Filler unrelated memories.
//
// Each Group has newest@1 (the current value first: the primary figure), clean@5 (newest first
// and no older value of the chain in the top 5), first@5 (the newest in the top 5, above every
// older value), older@5 (an older value in the top 5) and mrr (of the newest, in the top
// RetrieveK).
type UpdatesResult struct {
	Suite     string                      `json:"suite"`
	Seed      int64                       `json:"seed"`
	Embedder  string                      `json:"embedder"`
	Chains    int                         `json:"chains"`
	Filler    int                         `json:"filler_per_agent"`
	Passages  int                         `json:"passages"`
	Variants  []string                    `json:"variant_order"`
	Modes     map[Mode]map[string]Group   `json:"modes"`
	ModeOrder []Mode                      `json:"mode_order"`
	P50MS     map[Mode]map[string]float64 `json:"search_p50_ms"`
	Seconds   float64                     `json:"seconds"`
}

// updatesQuery is one chain's question in one variant.
type updatesQuery struct {
	chain   *UpdateChain
	search  *search
	version map[string]int // passage id -> the chain's value index
}

// RunUpdates generates the chains, stores them alone and crowded in fresh embedded stores (or
// the configured store), asks each chain's question in every mode the day after the latest
// event, and scores the top RetrieveK hits.
func RunUpdates(ctx context.Context, cfg UpdatesConfig) (*UpdatesResult, error) {
	ctx = state.WithTenant(ctx, state.DefaultTenant) // the bench is a client of the default tenant
	cfg.setDefaults()
	cfg.Gen.Seed = cfg.Seed
	cfg.Gen.setDefaults()
	start := time.Now()
	data := GenerateUpdates(cfg.Gen)
	if len(data.Chains) == 0 {
		return nil, errors.New("updates: no chains")
	}
	res := &UpdatesResult{Suite: "updates", Seed: cfg.Seed, Embedder: cfg.embedderModel(), Chains: len(data.Chains),
		Filler: cfg.Gen.Filler, Variants: []string{"alone", "crowded"}, Modes: map[Mode]map[string]Group{},
		ModeOrder: cfg.Modes, P50MS: map[Mode]map[string]float64{}}
	for _, m := range cfg.Modes {
		res.Modes[m], res.P50MS[m] = map[string]Group{}, map[string]float64{}
	}
	for _, variant := range res.Variants {
		agents := data.Agents
		if variant == "alone" {
			agents = make([]UpdatesAgent, len(data.Chains))
			for i := range agents {
				agents[i].Chains = []int{i}
			}
		}
		queries, n, lat, err := runUpdatesVariant(ctx, &cfg, variant, data, agents)
		if err != nil {
			return nil, err
		}
		res.Passages += n
		for _, m := range cfg.Modes {
			res.Modes[m][variant] = scoreUpdates(m, variant, queries)
			res.P50MS[m][variant] = lat[m]
		}
	}
	res.Seconds = round4(time.Since(start).Seconds())
	return res, nil
}

func runUpdatesVariant(ctx context.Context, cfg *UpdatesConfig, variant string, data UpdatesData, agents []UpdatesAgent) ([]*updatesQuery, int, map[Mode]float64, error) {
	e, err := openEnv(ctx, cfg.Store, cfg.Embedder, cfg.Logger)
	if err != nil {
		return nil, 0, nil, err
	}
	defer e.close()
	svc, err := e.service(tickingClock(cfg.Gen.Now()))
	if err != nil {
		return nil, 0, nil, err
	}
	total := 0
	for _, a := range agents {
		total += len(a.Filler)
		for _, ci := range a.Chains {
			total += len(data.Chains[ci].Texts)
		}
	}
	prog := newProgress(&cfg.Common, "updates: load "+variant, total)
	var queries []*updatesQuery
	for ai, a := range agents {
		agentID, err := e.createAgent(ctx, svc, fmt.Sprintf("updates %s %d", variant, ai))
		if err != nil {
			return nil, 0, nil, err
		}
		// Everything arrives in event order: the chains' values and the filler, merged.
		type item struct {
			text     string
			at       time.Time
			chain, v int
		}
		var items []item
		for _, f := range a.Filler {
			items = append(items, item{f.Text, f.ValidFrom, -1, -1})
		}
		for _, ci := range a.Chains {
			c := &data.Chains[ci]
			for v, text := range c.Texts {
				items = append(items, item{text, c.ValidFrom[v], ci, v})
			}
		}
		sort.SliceStable(items, func(i, j int) bool { return items[i].at.Before(items[j].at) })
		version := map[int]map[string]int{}
		for _, it := range items {
			vf := it.at
			p, err := svc.InsertPassage(ctx, agentID, pager.PassageInput{Text: it.text, ValidFrom: &vf})
			if err != nil {
				return nil, 0, nil, fmt.Errorf("updates: insert %q: %w", it.text, err)
			}
			if it.chain >= 0 {
				if version[it.chain] == nil {
					version[it.chain] = map[string]int{}
				}
				version[it.chain][p.ID] = it.v
			}
			prog.add(1)
		}
		for _, ci := range a.Chains {
			c := &data.Chains[ci]
			queries = append(queries, &updatesQuery{chain: c, search: newSearch(svc, agentID, c.Question), version: version[ci]})
		}
	}
	prog.finish()
	searches := make([]*search, len(queries))
	for i, q := range queries {
		searches[i] = q.search
	}
	lat, err := runSearches(ctx, &cfg.Common, "updates: ask "+variant, searches)
	return queries, total, lat, err
}

// scoreUpdates computes one mode's figures over a variant's queries.
func scoreUpdates(m Mode, name string, queries []*updatesQuery) Group {
	acc := newMeans()
	for _, q := range queries {
		newest := len(q.chain.Values) - 1
		rankNewest, firstOlder := -1, -1
		for i, id := range q.search.ids[m] {
			v, ok := q.version[id]
			switch {
			case !ok:
			case v == newest && rankNewest < 0:
				rankNewest = i
			case v != newest && firstOlder < 0:
				firstOlder = i
			}
		}
		olderIn5 := firstOlder >= 0 && firstOlder < 5
		vals := map[string]float64{
			"newest@1": b2f(rankNewest == 0),
			"clean@5":  b2f(rankNewest == 0 && !olderIn5),
			"first@5":  b2f(rankNewest >= 0 && rankNewest < 5 && (firstOlder < 0 || rankNewest < firstOlder)),
			"older@5":  b2f(olderIn5),
			"mrr":      0,
		}
		if rankNewest >= 0 {
			vals["mrr"] = 1 / float64(rankNewest+1)
		}
		acc.add(vals)
	}
	return acc.group(name)
}

// WriteTable prints each variant's figures per mode.
func (r *UpdatesResult) WriteTable(w io.Writer) error {
	fmt.Fprintf(w, "Technical update chains (seed %d, embedder %s): %d chains of 2–4 values 30 days apart, unkeyed, in event order; alone (one agent each) and crowded (%d unrelated memories per agent); %d passages.\n\n",
		r.Seed, r.Embedder, r.Chains, r.Filler, r.Passages)
	t := newTable(w)
	t.row("variant", "mode", "n", "newest@1", "clean@5", "first@5", "older@5", "mrr", "p50 ms")
	for _, v := range r.Variants {
		for _, m := range r.ModeOrder {
			g := r.Modes[m][v]
			t.row(v, string(m), g.N, g.Metrics["newest@1"], g.Metrics["clean@5"], g.Metrics["first@5"], g.Metrics["older@5"], g.Metrics["mrr"], r.P50MS[m][v])
		}
	}
	return t.flush()
}

// WritePlot is not drawn for this suite: its table is five figures per variant and mode.
func (r *UpdatesResult) WritePlot(path string) error {
	return errors.New("updates: no plot; use the table or --json (" + strconv.Quote(path) + " not written)")
}
