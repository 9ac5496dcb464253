package bench

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/memsvc/memsvc/archival"
	"github.com/memsvc/memsvc/pager"
	"github.com/memsvc/memsvc/state"
)

// LocomoConfig configures RunLocomo.
type LocomoConfig struct {
	Common
	// Path names the data in the report; Data is what runs (see LoadLocomo).
	Path string
	Data []Conversation
	// Conversations limits how many conversations run (0: all).
	Conversations int
	// NoTurnContext stores each turn alone. By default a turn is stored with the turn before
	// it in its session as its context (pager.PassageInput.Context), as a client importing a
	// conversation would: "Yes, every Sunday" is found by the question it answers.
	NoTurnContext bool
	// Recall adds the pager variant (locomorecall.go): the turns appended to agents as messages
	// and the questions asked of recall search, scored as the row "recall".
	Recall bool
}

// LocomoResult is the outcome of the locomo suite.
type LocomoResult struct {
	Suite         string               `json:"suite"`
	Data          string               `json:"data"`
	Embedder      string               `json:"embedder"`
	Conversations int                  `json:"conversations"`
	Turns         int                  `json:"turns"`
	TurnContext   bool                 `json:"turn_context"`
	Questions     int                  `json:"questions"`
	Excluded      int                  `json:"excluded_no_evidence"`
	Modes         map[Mode]*LocomoMode `json:"modes"`
	ModeOrder     []Mode               `json:"mode_order"`
	Seconds       float64              `json:"seconds"`
}

// LocomoMode holds one mode's figures. Overall pools categories 1–4; Categories is keyed by
// the numeric id. WrongSpeaker is over the category-5 items that name exactly one speaker.
type LocomoMode struct {
	Overall       Group            `json:"overall"`
	Categories    map[string]Group `json:"categories"`
	WrongSpeaker  float64          `json:"wrong_speaker@1"`
	WrongSpeakerN int              `json:"wrong_speaker_n"`
	SearchP50MS   float64          `json:"search_p50_ms"`
}

// locomoItem is one question, with its answers per mode.
type locomoItem struct {
	conv   *Conversation
	qa     QA
	search *search
	ranked map[Mode][]string // dia ids, best first
	top    map[Mode]string   // speaker of the top hit
}

// turnRef is what a stored passage stands for.
type turnRef struct{ diaID, speaker string }

// RunLocomo loads every conversation into its own agent, one passage per turn with valid_from
// set to its session's date, then asks every question in every mode, "now" being the day after
// the conversation's last session, and scores the top RetrieveK hits.
func RunLocomo(ctx context.Context, cfg LocomoConfig) (*LocomoResult, error) {
	ctx = state.WithTenant(ctx, state.DefaultTenant) // the bench is a client of the default tenant
	cfg.setDefaults()
	start := time.Now()
	convs := cfg.Data
	if cfg.Conversations > 0 && cfg.Conversations < len(convs) {
		convs = convs[:cfg.Conversations]
	}
	if len(convs) == 0 {
		return nil, errors.New("locomo: no conversations")
	}
	e, err := openEnv(ctx, cfg.Store, cfg.Embedder, cfg.Logger)
	if err != nil {
		return nil, err
	}
	defer e.close()

	res := &LocomoResult{Suite: "locomo", Data: cfg.Path, Embedder: cfg.embedderModel(), Conversations: len(convs),
		TurnContext: !cfg.NoTurnContext, Modes: map[Mode]*LocomoMode{}, ModeOrder: cfg.Modes}
	for _, c := range convs {
		for _, s := range c.Sessions {
			res.Turns += len(s.Turns)
		}
	}
	refs := map[string]turnRef{} // passage id -> turn
	var items []*locomoItem
	prog := newProgress(&cfg.Common, "locomo: load turns", res.Turns)
	for i := range convs {
		c := &convs[i]
		now := c.LastDate().Truncate(24 * time.Hour).Add(24 * time.Hour)
		svc, err := e.service(tickingClock(now))
		if err != nil {
			return nil, err
		}
		agentID, err := e.createAgent(ctx, svc, "locomo "+c.ID)
		if err != nil {
			return nil, err
		}
		for _, s := range c.Sessions {
			vf := s.Date
			for ti, t := range s.Turns {
				in := pager.PassageInput{
					Text: t.Passage(), ValidFrom: &vf, Source: archival.SourceImport,
					Metadata: map[string]any{"dia_id": t.DiaID, "speaker": t.Speaker, "session": s.N},
				}
				if ti > 0 && !cfg.NoTurnContext {
					in.Context = s.Turns[ti-1].Text
				}
				p, err := svc.InsertPassage(ctx, agentID, in)
				if err != nil {
					return nil, fmt.Errorf("locomo: %s %s: %w", c.ID, t.DiaID, err)
				}
				refs[p.ID] = turnRef{t.DiaID, t.Speaker}
				prog.add(1)
			}
		}
		for _, q := range c.QA {
			if q.Question == "" {
				continue
			}
			items = append(items, &locomoItem{conv: c, qa: q, search: newSearch(svc, agentID, q.Question),
				ranked: map[Mode][]string{}, top: map[Mode]string{}})
		}
	}
	prog.finish()
	res.Questions = len(items)

	searches := make([]*search, len(items))
	for i, it := range items {
		searches[i] = it.search
	}
	lat, err := runSearches(ctx, &cfg.Common, "locomo: search", searches)
	if err != nil {
		return nil, err
	}
	for _, it := range items {
		for m, ids := range it.search.ids {
			for i, id := range ids {
				it.ranked[m] = append(it.ranked[m], refs[id].diaID)
				if i == 0 {
					it.top[m] = refs[id].speaker
				}
			}
		}
	}
	for _, m := range cfg.Modes {
		res.Modes[m] = scoreLocomo(m, items)
		res.Modes[m].SearchP50MS = lat[m]
	}
	if cfg.Recall {
		if res.Modes[modeRecall], err = runLocomoRecall(ctx, &cfg, e, convs, items); err != nil {
			return nil, err
		}
		res.ModeOrder = append(slices.Clone(res.ModeOrder), modeRecall)
	}
	for _, it := range items {
		if len(it.qa.Evidence) == 0 {
			res.Excluded++
		}
	}
	res.Seconds = round4(time.Since(start).Seconds())
	return res, nil
}

// scoreLocomo computes one mode's metrics from the ranked answers.
func scoreLocomo(m Mode, items []*locomoItem) *LocomoMode {
	overall := newMeans()
	cats := map[int]*means{}
	var wrong, named int
	for _, it := range items {
		cat := it.qa.Category
		if it.qa.Category == 5 {
			if who, ok := NamedSpeaker(it.qa.Question, it.conv.SpeakerA, it.conv.SpeakerB); ok {
				named++
				if WrongSpeaker(who, it.top[m]) {
					wrong++
				}
			}
		}
		if len(it.qa.Evidence) == 0 {
			continue
		}
		vals := rankMetrics(it.ranked[m], it.qa.Evidence)
		if cats[cat] == nil {
			cats[cat] = newMeans()
		}
		cats[cat].add(vals)
		if cat >= 1 && cat <= 4 {
			overall.add(vals)
		}
	}
	out := &LocomoMode{Overall: overall.group("1-4"), Categories: map[string]Group{}, WrongSpeakerN: named}
	for c, acc := range cats {
		name := CategoryNames[c]
		if name == "" {
			name = "category " + strconv.Itoa(c)
		}
		out.Categories[strconv.Itoa(c)] = acc.group(name)
	}
	if named > 0 {
		out.WrongSpeaker = round4(float64(wrong) / float64(named))
	}
	return out
}

// rankMetrics are one item's R@k, hit@k and session R@k for every k in Ks.
func rankMetrics(ranked, evidence []string) map[string]float64 {
	vals := make(map[string]float64, 3*len(Ks))
	for _, k := range Ks {
		vals[fmt.Sprintf("R@%d", k)] = RecallAtK(ranked, evidence, k)
		vals[fmt.Sprintf("hit@%d", k)] = HitAtK(ranked, evidence, k)
		vals[fmt.Sprintf("session_R@%d", k)] = SessionRecallAtK(ranked, evidence, k)
	}
	return vals
}
