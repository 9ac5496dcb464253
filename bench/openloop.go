package bench

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// OpenLoopStep is appends offered at a fixed rate, spread over the load agents, for a fixed time:
// each request starts at its scheduled moment whatever the answers before it (open loop, as
// vegeta offers load), and its latency counts from that moment, so a server that falls behind
// shows its queue in the percentiles instead of slowing the offer (no coordinated omission).
type OpenLoopStep struct {
	Rate        int     `json:"rate"` // offered appends per second
	Offered     int     `json:"offered"`
	Errors      int     `json:"errors"`
	AchievedRPS float64 `json:"achieved_rps"` // answered 2xx per second of the step, answers included
	FirstError  string  `json:"first_error,omitempty"`
	Latency
}

// openLoopConns bounds the connections the open-loop client keeps; requests beyond it wait for a
// connection, and that wait counts in their latency.
const openLoopConns = 512

// runOpenLoop offers appends at each of cfg.Rates for cfg.RateDuration.
func runOpenLoop(ctx context.Context, cfg *LoadConfig, base string, agents []string, corp corpus) ([]OpenLoopStep, error) {
	steps := []OpenLoopStep{}
	if len(cfg.Rates) == 0 || len(agents) == 0 {
		return steps, nil
	}
	c := newClient(base, cfg.APIKey, openLoopConns)
	for _, rate := range cfg.Rates {
		n := int(float64(rate) * cfg.RateDuration.Seconds())
		if n <= 0 {
			continue
		}
		prog := newProgress(&cfg.Common, fmt.Sprintf("load: open loop %d/s", rate), n)
		interval := time.Second / time.Duration(rate)
		lat := make([]float64, 0, n)
		var (
			mu    sync.Mutex
			wg    sync.WaitGroup
			step  = OpenLoopStep{Rate: rate, Offered: n}
			start = time.Now()
		)
		for i := range n {
			at := start.Add(time.Duration(i) * interval)
			if d := time.Until(at); d > 0 {
				select {
				case <-ctx.Done():
					prog.finish()
					return nil, ctx.Err()
				case <-time.After(d):
				}
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				body := map[string]any{"messages": []map[string]string{{"role": "user", "content": corp.texts[i%len(corp.texts)]}}}
				err := c.post(ctx, agentPath(agents[i%len(agents)], "/messages"), body, nil)
				ms := float64(time.Since(at).Microseconds()) / 1000
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					if step.Errors++; step.FirstError == "" {
						step.FirstError = err.Error()
					}
				} else {
					lat = append(lat, ms)
				}
				prog.add(1)
			}()
		}
		wg.Wait()
		prog.finish()
		step.AchievedRPS = round4(float64(len(lat)) / time.Since(start).Seconds())
		if len(lat) > 0 {
			step.Latency = latencyOf(lat)
		}
		steps = append(steps, step)
	}
	return steps, nil
}
