package bench

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/memsvc/memsvc/pager"
)

// search is one question to ask an agent in every mode; ids receives the passage ids of the
// top RetrieveK hits per mode, best first.
type search struct {
	svc     *pager.Service
	agentID string
	text    string
	ids     map[Mode][]string
	// conflicts holds, per mode, the hits marked as contradicting another hit (passage id ->
	// the ids it conflicts with).
	conflicts map[Mode]map[string][]string
}

func newSearch(svc *pager.Service, agentID, text string) *search {
	return &search{svc: svc, agentID: agentID, text: text, ids: make(map[Mode][]string, len(AllModes)), conflicts: map[Mode]map[string][]string{}}
}

// runSearches asks every search in every mode of c on c.Workers goroutines, through
// pager.Service.SearchArchival (what the HTTP API calls), and returns each mode's median
// latency in milliseconds. The first error cancels the rest.
func runSearches(ctx context.Context, c *Common, label string, searches []*search) (map[Mode]float64, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	prog := newProgress(c, label, len(searches)*len(c.Modes))
	defer prog.finish()
	var (
		mu    sync.Mutex
		first error
		lat   = map[Mode][]float64{}
		wg    sync.WaitGroup
		jobs  = make(chan *search)
	)
	for range c.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for s := range jobs {
				for _, m := range c.Modes {
					t0 := time.Now()
					hits, err := s.svc.SearchArchival(ctx, s.agentID, m.Query(s.text, RetrieveK))
					ms := float64(time.Since(t0).Microseconds()) / 1000
					mu.Lock()
					if err != nil && first == nil {
						first = fmt.Errorf("bench: search %q (%s): %w", s.text, m, err)
						cancel()
					}
					lat[m] = append(lat[m], ms)
					mu.Unlock()
					ids := make([]string, len(hits))
					conf := map[string][]string{}
					for i, h := range hits {
						ids[i] = h.Passage.ID
						if len(h.Conflicts) > 0 {
							conf[h.Passage.ID] = h.Conflicts
						}
					}
					s.ids[m], s.conflicts[m] = ids, conf
				}
				prog.add(len(c.Modes))
			}
		}()
	}
	for _, s := range searches {
		if ctx.Err() != nil {
			break
		}
		jobs <- s
	}
	close(jobs)
	wg.Wait()
	if first != nil {
		return nil, first
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	p50 := map[Mode]float64{}
	for m, xs := range lat {
		sort.Float64s(xs)
		p50[m] = round4(percentile(xs, 50))
	}
	return p50, nil
}
