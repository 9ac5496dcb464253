package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/memsvc/memsvc/pager"
	"github.com/memsvc/memsvc/state"
	"github.com/memsvc/memsvc/textproc"
	"github.com/memsvc/memsvc/validity"
)

// The summary suite measures what a running summary keeps. Each LoCoMo conversation is paged as
// an agent with a small context window would page it: the turns arrive in order (one message each,
// "<speaker>: <text>"); when the messages outgrow the room the window leaves beside the summary's
// budget, the oldest are evicted down to half the window (the pager's default flush and target
// ratios, keeping the last four) and folded with the previous summary into the next one. Every
// summary is stored as an archival passage, as compaction stores it. Then:
//
//   - kept: the share of each evicted span's names and numbers (validity.Facts) that its fold's
//     summary still states, averaged over folds;
//   - evidence_any: the share of LoCoMo questions (categories 1–4) with an evidence turn covered
//     by some summary (all of the turn's names and numbers, or half its key terms when it has
//     none, in its text: see covers): what summaries could answer at all;
//   - verbatim_any: the share with an evidence turn's main sentence (the one with the most facts)
//     found word for word in some summary: a check that does not count how many facts a summary
//     covers, the extractive summarizer's own objective;
//   - evidence@k: the same as evidence_any, among the top k summaries that a search in each mode returns for the
//     question: what an agent finds by searching summaries alone.
//
// Each summarizer runs on its own agents: lead (the first sentence of each message, the built-in
// summarizer until December 2026) and extractive (the recursive fold that chooses sentences by
// salience and coverage, pager.Extractive).

// SummaryConfig configures the summary suite.
type SummaryConfig struct {
	Common
	Path          string
	Data          []Conversation
	Conversations int
	// Window is the agents' context window in tokens (default 2048, the service's default).
	Window int
}

// SummaryResult is the outcome of the summary suite.
type SummaryResult struct {
	Suite         string                     `json:"suite"`
	Data          string                     `json:"data"`
	Embedder      string                     `json:"embedder"`
	Window        int                        `json:"window"`
	SummaryTokens int                        `json:"summary_budget_tokens"`
	Conversations int                        `json:"conversations"`
	Questions     int                        `json:"questions"`
	Summarizers   map[string]*SummaryFigures `json:"summarizers"`
	Order         []string                   `json:"order"`
	ModeOrder     []Mode                     `json:"mode_order"`
	Seconds       float64                    `json:"seconds"`
}

// SummaryFigures are one summarizer's figures.
type SummaryFigures struct {
	Folds       int              `json:"folds"`
	MeanTokens  float64          `json:"mean_summary_tokens"`
	Kept        float64          `json:"kept"`
	EvidenceAny float64          `json:"evidence_any"`
	VerbatimAny float64          `json:"verbatim_any"`
	Evidence1   map[Mode]float64 `json:"evidence_at_1"`
	Evidence5   map[Mode]float64 `json:"evidence_at_5"`
}

var summarizers = []struct {
	name string
	s    pager.Summarizer
}{{"lead", pager.Lead{}}, {"extractive", pager.Extractive{}}}

// fold is one summary made while paging a conversation: its text and the evicted span's facts.
type fold struct {
	text  string
	kept  float64 // share of the span's names and numbers the summary states; -1: the span has none
	facts map[string]bool
}

// RunSummary runs the summary suite.
func RunSummary(ctx context.Context, cfg SummaryConfig) (*SummaryResult, error) {
	ctx = state.WithTenant(ctx, state.DefaultTenant)
	cfg.setDefaults()
	if cfg.Window <= 0 {
		cfg.Window = 2048
	}
	start := time.Now()
	convs := cfg.Data
	if cfg.Conversations > 0 && cfg.Conversations < len(convs) {
		convs = convs[:cfg.Conversations]
	}
	if len(convs) == 0 {
		return nil, errors.New("summary: no conversations")
	}
	counter, err := pager.NewTokenizers().Counter("")
	if err != nil {
		return nil, err
	}
	e, err := openEnv(ctx, cfg.Store, cfg.Embedder, cfg.Logger)
	if err != nil {
		return nil, err
	}
	defer e.close()
	res := &SummaryResult{Suite: "summary", Data: cfg.Path, Embedder: cfg.embedderModel(), Window: cfg.Window,
		SummaryTokens: pager.SummaryBudget(cfg.Window), Conversations: len(convs), Summarizers: map[string]*SummaryFigures{},
		ModeOrder: cfg.Modes}
	type question struct {
		conv  string
		qa    QA
		srch  *search
		folds []fold
		ids   map[string]int // passage ID -> fold
	}
	turns := turnTexts(convs)
	for _, sm := range summarizers {
		res.Order = append(res.Order, sm.name)
		fig := &SummaryFigures{Evidence1: map[Mode]float64{}, Evidence5: map[Mode]float64{}}
		res.Summarizers[sm.name] = fig
		var qs []*question
		var searches []*search
		var keptSum float64
		var keptN, tokens int
		prog := newProgress(&cfg.Common, "summary: "+sm.name+" folds", len(convs))
		for ci := range convs {
			c := &convs[ci]
			folds, err := pageConversation(ctx, c, sm.s, cfg.Window, counter)
			if err != nil {
				return nil, err
			}
			svc, err := e.service(tickingClock(c.LastDate().Add(24 * time.Hour)))
			if err != nil {
				return nil, err
			}
			agentID, err := e.createAgent(ctx, svc, "summary "+sm.name+" "+c.ID)
			if err != nil {
				return nil, err
			}
			ids := map[string]int{}
			for i, f := range folds {
				fig.Folds++
				tokens += counter.Count(f.text)
				if f.kept >= 0 {
					keptSum += f.kept
					keptN++
				}
				if f.text == "" {
					continue
				}
				p, err := svc.InsertPassage(ctx, agentID, pager.PassageInput{Text: f.text, Source: "compaction"})
				if err != nil {
					return nil, fmt.Errorf("summary: store summary: %w", err)
				}
				ids[p.ID] = i
			}
			for _, qa := range c.QA {
				if qa.Category < 1 || qa.Category > 4 || len(qa.Evidence) == 0 {
					continue
				}
				q := &question{conv: c.ID, qa: qa, srch: newSearch(svc, agentID, qa.Question), folds: folds, ids: ids}
				qs = append(qs, q)
				searches = append(searches, q.srch)
			}
			prog.add(1)
		}
		prog.finish()
		if _, err := runSearches(ctx, &cfg.Common, "summary: "+sm.name+" search", searches); err != nil {
			return nil, err
		}
		anyN, verbN := 0, 0
		for _, q := range qs {
			covered := func(fi int) bool {
				for _, ev := range q.qa.Evidence {
					if t, ok := turns[q.conv+"/"+ev]; ok && covers(q.folds[fi].text, t) {
						return true
					}
				}
				return false
			}
			for fi := range q.folds {
				if covered(fi) {
					anyN++
					break
				}
			}
		verbatim:
			for _, ev := range q.qa.Evidence {
				for _, f := range q.folds {
					if statesSentence(f.text, turns[q.conv+"/"+ev]) {
						verbN++
						break verbatim
					}
				}
			}
			for _, m := range cfg.Modes {
				for rank, id := range q.srch.ids[m] {
					if rank >= 5 {
						break
					}
					if fi, ok := q.ids[id]; ok && covered(fi) {
						if rank == 0 {
							fig.Evidence1[m]++
						}
						fig.Evidence5[m]++
						break
					}
				}
			}
		}
		n := float64(len(qs))
		res.Questions = len(qs)
		fig.EvidenceAny = round4(float64(anyN) / n)
		fig.VerbatimAny = round4(float64(verbN) / n)
		for _, m := range cfg.Modes {
			fig.Evidence1[m] = round4(fig.Evidence1[m] / n)
			fig.Evidence5[m] = round4(fig.Evidence5[m] / n)
		}
		if keptN > 0 {
			fig.Kept = round4(keptSum / float64(keptN))
		}
		if fig.Folds > 0 {
			fig.MeanTokens = round4(float64(tokens) / float64(fig.Folds))
		}
	}
	res.Seconds = round4(time.Since(start).Seconds())
	return res, nil
}

// pageConversation pages one conversation's turns through a window and returns every fold.
func pageConversation(ctx context.Context, c *Conversation, s pager.Summarizer, window int, counter pager.Counter) ([]fold, error) {
	budget := pager.SummaryBudget(window)
	room := window - budget                                               // messages may fill what the summary's budget leaves
	target := window*int(pager.DefaultPager.TargetRatio*100)/100 - budget // evict down to this
	keep := pager.DefaultPager.KeepLast
	var (
		msgs    []state.Message
		inCtx   int
		folds   []fold
		summary string
	)
	for _, sess := range c.Sessions {
		for _, t := range sess.Turns {
			m := state.Message{Role: "user", Content: t.Passage()}
			m.Tokens = counter.Count(m.Content)
			msgs = append(msgs, m)
			inCtx += m.Tokens
			if inCtx <= room {
				continue
			}
			n := 0
			for n < len(msgs)-keep && inCtx > target {
				inCtx -= msgs[n].Tokens
				n++
			}
			span := msgs[:n:n]
			msgs = append([]state.Message(nil), msgs[n:]...)
			text, err := s.Summarize(ctx, pager.SummaryInput{Previous: summary, Messages: span, MaxTokens: budget, Count: counter.Count})
			if err != nil {
				return nil, err
			}
			summary = text
			folds = append(folds, fold{text: text, kept: keptShare(span, text)})
		}
	}
	return folds, nil
}

// keptShare is the share of the span's names and numbers that text states, or -1 when the span
// has none.
func keptShare(span []state.Message, text string) float64 {
	want := map[string]bool{}
	for _, m := range span {
		for _, e := range validity.Entities(m.Content) {
			want[textproc.Stem(e)] = true
		}
		for _, w := range textproc.Words(m.Content) {
			if textproc.HasDigit(w) {
				want[validity.NumberForm(w)] = true
			}
		}
	}
	if len(want) == 0 {
		return -1
	}
	have := validity.Vocabulary(text)
	n := 0
	for f := range want {
		if have[f] {
			n++
		}
	}
	return float64(n) / float64(len(want))
}

// covers reports whether a summary states a turn's facts (the speaker's "Name: " prefix aside):
// all of its names and numbers and one of its other key terms, or, for a turn with no name or
// number, half of its key terms. Names and numbers are what tell one turn from another; the key
// terms alone are shared by every turn on the topic.
func covers(summary, turn string) bool {
	if _, rest, ok := strings.Cut(turn, ": "); ok {
		turn = rest
	}
	facts := validity.Facts(turn)
	if len(facts) == 0 {
		return false
	}
	specific := map[string]bool{}
	for _, e := range validity.Entities(turn) {
		specific[textproc.Stem(e)] = true
	}
	have := validity.Vocabulary(summary)
	names, terms, termsHad := 0, 0, 0
	for _, f := range facts {
		switch {
		case specific[f] || textproc.HasDigit(f):
			if !have[f] {
				return false
			}
			names++
		default:
			terms++
			if have[f] {
				termsHad++
			}
		}
	}
	if names > 0 {
		return terms == 0 || termsHad > 0
	}
	return 2*termsHad >= terms
}

// statesSentence reports whether summary holds, word for word, the turn's main sentence: the one
// that states the most facts (validity.Facts; the first of equals), the speaker's "Name: " prefix
// aside.
func statesSentence(summary, turn string) bool {
	if _, rest, ok := strings.Cut(turn, ": "); ok {
		turn = rest
	}
	main, most := "", 0
	for _, s := range textproc.Sentences(turn) {
		if n := len(validity.Facts(s)); n > most {
			main, most = s, n
		}
	}
	return main != "" && strings.Contains(summary, main)
}

// turnTexts maps "<conversation ID>/<dialogue ID>" to each turn's passage text.
func turnTexts(convs []Conversation) map[string]string {
	out := map[string]string{}
	for _, c := range convs {
		for _, s := range c.Sessions {
			for _, t := range s.Turns {
				out[c.ID+"/"+t.DiaID] = t.Passage()
			}
		}
	}
	return out
}

// WriteTable prints each summarizer's figures.
func (r *SummaryResult) WriteTable(w io.Writer) error {
	fmt.Fprintf(w, "Running summaries: %s (embedder %s)\n%d conversations paged through a %d-token window (summary budget %d tokens); %d questions (categories 1-4).\n\n",
		r.Data, r.Embedder, r.Conversations, r.Window, r.SummaryTokens, r.Questions)
	t := newTable(w)
	head := []any{"summarizer", "folds", "tokens", "kept", "evidence_any", "verbatim_any"}
	for _, m := range r.ModeOrder {
		head = append(head, string(m)+" ev@1", string(m)+" ev@5")
	}
	t.row(head...)
	for _, name := range r.Order {
		f := r.Summarizers[name]
		row := []any{name, f.Folds, strconv.FormatFloat(f.MeanTokens, 'f', 1, 64), f.Kept, f.EvidenceAny, f.VerbatimAny}
		for _, m := range r.ModeOrder {
			row = append(row, f.Evidence1[m], f.Evidence5[m])
		}
		t.row(row...)
	}
	return t.flush()
}

// WritePlot is not drawn for this suite.
func (r *SummaryResult) WritePlot(path string) error {
	return errors.New("summary: no plot; use the table or --json (" + strconv.Quote(path) + " not written)")
}
