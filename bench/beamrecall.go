package bench

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/memsvc/memsvc/pager"
)

// The pager variant of the beam suite: each chat's user messages are appended to an agent as
// messages, one per append, each on its session's date, as an agent attached to memsvc would
// send them; the agent's window pages them out to recall storage as it fills. Every probe is then
// asked of recall search (conversation_search, pager.SearchRecall), the day after the last
// session, once the background embedder has embedded every message. Recall search has no modes:
// it is one hybrid search reordered by the scorer's recency, contradiction, subject and predicate
// evidence (see pager.SearchRecall), so its row shows what an agent gets from its own message
// history.

// recallProbe is one probe asked of recall search: the message ids of its two sides.
type recallProbe struct {
	probeSides
	agentID   string
	svc       *pager.Service
	ids       []string
	conflicts map[string][]string
}

// runBeamRecall runs the pager variant over chats and returns its figures.
func runBeamRecall(ctx context.Context, cfg *BeamConfig, e *env, chats []BeamChat) (*BeamMode, error) {
	var probes []*recallProbe
	total := 0
	for _, c := range chats {
		total += len(c.Messages)
	}
	prog := newProgress(&cfg.Common, "beam: append messages", total)
	for i := range chats {
		c := &chats[i]
		// The clock reads the date of the message being appended, then the day after the last
		// session.
		svc, agentID, at, err := e.clockedAgent(ctx, "beam recall "+c.Chat)
		if err != nil {
			return nil, err
		}
		byMsg := map[int]string{}
		for _, m := range c.Messages {
			text := m.Text()
			if text == "" {
				continue
			}
			d, _ := c.Date(m.ID)
			at.Store(d.UnixNano())
			if len(text) > pager.MaxPassageBytes {
				text = text[:pager.MaxPassageBytes]
			}
			r, err := svc.Append(ctx, agentID, []pager.MessageInput{{Role: "user", Content: text}})
			if err != nil {
				return nil, fmt.Errorf("beam: %s message %d: %w", c.Chat, m.ID, err)
			}
			byMsg[m.ID] = r.Messages[len(r.Messages)-1].ID
			prog.add(1)
		}
		at.Store(c.LastDate().Add(24 * time.Hour).UnixNano())
		for _, ps := range c.probeSides(byMsg) {
			probes = append(probes, &recallProbe{probeSides: ps, agentID: agentID, svc: svc})
		}
		if _, err := svc.EmbedPending(ctx); err != nil {
			return nil, fmt.Errorf("beam: embed %s's messages: %w", c.Chat, err)
		}
	}
	prog.finish()
	lat, err := runRecallSearches(ctx, &cfg.Common, "beam: recall search", probes)
	if err != nil {
		return nil, err
	}
	bp := make([]*beamProbe, len(probes))
	for i, p := range probes {
		s := &search{ids: map[Mode][]string{modeRecall: p.ids}, conflicts: map[Mode]map[string][]string{modeRecall: p.conflicts}}
		bp[i] = &beamProbe{search: s, update: p.update, first: p.first, second: p.second}
	}
	out := scoreBeam(modeRecall, bp)
	out.SearchP50MS = lat
	return out, nil
}

// clockedAgent makes a service whose clock reads the instant stored in at (a millisecond later
// at each reading, so that the times it gives follow the order of arrival) and a bench agent on
// it: the pager variants set the clock to each message's date as they append it.
func (e *env) clockedAgent(ctx context.Context, name string) (svc *pager.Service, agentID string, at *atomic.Int64, err error) {
	at = new(atomic.Int64)
	var tick atomic.Int64
	svc, err = e.service(func() time.Time { return time.Unix(0, at.Load()).Add(time.Duration(tick.Add(1)) * time.Millisecond) })
	if err != nil {
		return nil, "", nil, err
	}
	agentID, err = e.createAgent(ctx, svc, name)
	return svc, agentID, at, err
}

// modeRecall names recall search's row; it is not a Mode of archival search.
const modeRecall Mode = "recall"

// runRecallSearches asks every probe of recall search on c.Workers goroutines and returns the
// median latency in milliseconds.
func runRecallSearches(ctx context.Context, c *Common, label string, probes []*recallProbe) (float64, error) {
	prog := newProgress(c, label, len(probes))
	defer prog.finish()
	var (
		mu    sync.Mutex
		first error
		lat   []float64
		wg    sync.WaitGroup
		jobs  = make(chan *recallProbe)
	)
	for range c.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range jobs {
				t0 := time.Now()
				hits, err := p.svc.SearchRecall(ctx, p.agentID, pager.RecallQuery{Query: p.question, K: RetrieveK})
				ms := float64(time.Since(t0).Microseconds()) / 1000
				ids := make([]string, len(hits))
				conf := map[string][]string{}
				for i, h := range hits {
					ids[i] = h.Message.ID
					if len(h.Conflicts) > 0 {
						conf[h.Message.ID] = h.Conflicts
					}
				}
				mu.Lock()
				if err != nil && first == nil {
					first = fmt.Errorf("bench: recall search %q: %w", p.question, err)
				}
				lat = append(lat, ms)
				p.ids, p.conflicts = ids, conf
				mu.Unlock()
				prog.add(1)
			}
		}()
	}
	for _, p := range probes {
		jobs <- p
	}
	close(jobs)
	wg.Wait()
	sort.Float64s(lat)
	return round4(percentile(lat, 50)), first
}
