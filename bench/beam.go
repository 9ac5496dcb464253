package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/memsvc/memsvc/archival"
	"github.com/memsvc/memsvc/pager"
	"github.com/memsvc/memsvc/state"
)

// BeamConfig configures RunBeam.
type BeamConfig struct {
	Common
	// Path names the data in the report; Data is what runs (see LoadBeam).
	Path string
	Data []BeamChat
	// Chats limits how many chats run (0: all).
	Chats int
	// Recall adds the pager variant: the messages appended to agents and the probes asked of
	// recall search (beamrecall.go).
	Recall bool
}

// BeamResult is the outcome of the beam suite.
type BeamResult struct {
	Suite          string             `json:"suite"`
	Data           string             `json:"data"`
	Embedder       string             `json:"embedder"`
	Chats          int                `json:"chats"`
	Messages       int                `json:"messages"`
	Updates        int                `json:"update_probes"`
	Contradictions int                `json:"contradiction_probes"`
	Modes          map[Mode]*BeamMode `json:"modes"`
	ModeOrder      []Mode             `json:"mode_order"`
	// Recall holds the pager variant's figures (recall search), with BeamConfig.Recall.
	Recall  *BeamMode `json:"recall,omitempty"`
	Seconds float64   `json:"seconds"`
}

// BeamMode holds one mode's figures.
//
//   - Updated10: the share of knowledge-update probes whose updated message is in the top 10;
//   - CurrentFirst10: the updated message is in the top 10 and ranks above every original one;
//   - Both10: the share of contradiction probes with both statements in the top 10;
//   - Marked10: both in the top 10 and marked as conflicting with each other (ArchivalHit.Conflicts).
//
// CurrentFirst10 is the suite's primary metric.
type BeamMode struct {
	Updated10      float64 `json:"updated@10"`
	CurrentFirst10 float64 `json:"current_first@10"`
	Both10         float64 `json:"both@10"`
	Marked10       float64 `json:"marked@10"`
	SearchP50MS    float64 `json:"search_p50_ms"`
}

type beamProbe struct {
	search        *search
	update        bool
	first, second map[string]bool // passage ids: original/updated, or first/second statement
}

// RunBeam stores every chat's user messages in its own agent, one archival passage per message
// with valid_from set to its session's date, asks every resolvable probe in every mode, "now"
// being the day after the chat's last session, and scores the top 10 hits.
func RunBeam(ctx context.Context, cfg BeamConfig) (*BeamResult, error) {
	ctx = state.WithTenant(ctx, state.DefaultTenant) // the bench is a client of the default tenant
	cfg.setDefaults()
	start := time.Now()
	chats := cfg.Data
	if cfg.Chats > 0 && cfg.Chats < len(chats) {
		chats = chats[:cfg.Chats]
	}
	if len(chats) == 0 {
		return nil, errors.New("beam: no chats")
	}
	e, err := openEnv(ctx, cfg.Store, cfg.Embedder, cfg.Logger)
	if err != nil {
		return nil, err
	}
	defer e.close()
	res := &BeamResult{Suite: "beam", Data: cfg.Path, Embedder: cfg.embedderModel(), Chats: len(chats), Modes: map[Mode]*BeamMode{}, ModeOrder: cfg.Modes}
	for _, c := range chats {
		res.Messages += len(c.Messages)
	}
	var probes []*beamProbe
	prog := newProgress(&cfg.Common, "beam: load messages", res.Messages)
	for i := range chats {
		c := &chats[i]
		now := c.LastDate().Add(24 * time.Hour)
		svc, err := e.service(tickingClock(now))
		if err != nil {
			return nil, err
		}
		agentID, err := e.createAgent(ctx, svc, "beam "+c.Chat)
		if err != nil {
			return nil, err
		}
		byMsg := map[int]string{} // message id -> passage id
		for _, m := range c.Messages {
			text := m.Text()
			if text == "" {
				continue
			}
			vf, _ := c.Date(m.ID)
			if len(text) > pager.MaxPassageBytes {
				text = text[:pager.MaxPassageBytes]
			}
			p, err := svc.InsertPassage(ctx, agentID, pager.PassageInput{Text: text, ValidFrom: &vf, Source: archival.SourceImport,
				Metadata: map[string]any{"message_id": m.ID}})
			if err != nil {
				return nil, fmt.Errorf("beam: %s message %d: %w", c.Chat, m.ID, err)
			}
			byMsg[m.ID] = p.ID
			prog.add(1)
		}
		for _, ps := range c.probeSides(byMsg) {
			probes = append(probes, &beamProbe{search: newSearch(svc, agentID, ps.question), update: ps.update, first: ps.first, second: ps.second})
			if ps.update {
				res.Updates++
			} else {
				res.Contradictions++
			}
		}
	}
	prog.finish()
	searches := make([]*search, len(probes))
	for i, p := range probes {
		searches[i] = p.search
	}
	lat, err := runSearches(ctx, &cfg.Common, "beam: search", searches)
	if err != nil {
		return nil, err
	}
	for _, m := range cfg.Modes {
		res.Modes[m] = scoreBeam(m, probes)
		res.Modes[m].SearchP50MS = lat[m]
	}
	if cfg.Recall {
		if res.Recall, err = runBeamRecall(ctx, &cfg, e, chats); err != nil {
			return nil, err
		}
	}
	res.Seconds = round4(time.Since(start).Seconds())
	return res, nil
}

// firstRank is the 0-based rank of the best-ranked id in want among the first k, or -1.
func firstRank(ranked []string, want map[string]bool, k int) int {
	for i, id := range head(ranked, k) {
		if want[id] {
			return i
		}
	}
	return -1
}

func scoreBeam(m Mode, probes []*beamProbe) *BeamMode {
	var upd, cur, both, marked, nu, nc float64
	for _, p := range probes {
		ranked := p.search.ids[m]
		f, s := firstRank(ranked, p.first, 10), firstRank(ranked, p.second, 10)
		if p.update {
			nu++
			if s >= 0 {
				upd++
				if f < 0 || s < f {
					cur++
				}
			}
			continue
		}
		nc++
		if f < 0 || s < 0 {
			continue
		}
		both++
		if linked(p.search.conflicts[m], ranked[f], p.second) || linked(p.search.conflicts[m], ranked[s], p.first) {
			marked++
		}
	}
	out := &BeamMode{}
	if nu > 0 {
		out.Updated10, out.CurrentFirst10 = round4(upd/nu), round4(cur/nu)
	}
	if nc > 0 {
		out.Both10, out.Marked10 = round4(both/nc), round4(marked/nc)
	}
	return out
}

// linked reports whether the hit id is marked as conflicting with any of other.
func linked(conflicts map[string][]string, id string, other map[string]bool) bool {
	for _, c := range conflicts[id] {
		if other[c] {
			return true
		}
	}
	return false
}

// WriteTable prints each mode's figures.
func (r *BeamResult) WriteTable(w io.Writer) error {
	fmt.Fprintf(w, "BEAM knowledge updates and contradictions: %s (embedder %s)\n%d chats, %d user messages stored as archival passages dated by session; %d update probes, %d contradiction probes; asked the day after the last session.\n\n",
		r.Data, r.Embedder, r.Chats, r.Messages, r.Updates, r.Contradictions)
	t := newTable(w)
	t.row("mode", "updated@10", "current_first@10", "both@10", "marked@10", "p50 ms")
	for _, m := range r.ModeOrder {
		x := r.Modes[m]
		t.row(string(m), x.Updated10, x.CurrentFirst10, x.Both10, x.Marked10, x.SearchP50MS)
	}
	if x := r.Recall; x != nil {
		t.row("recall (pager)", x.Updated10, x.CurrentFirst10, x.Both10, x.Marked10, x.SearchP50MS)
	}
	return t.flush()
}

// WritePlot is not drawn for this suite: its table is four figures per mode.
func (r *BeamResult) WritePlot(path string) error {
	return errors.New("beam: no plot; use the table or --json (" + strconv.Quote(path) + " not written)")
}
