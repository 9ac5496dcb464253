package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// Result is what a suite returns: it prints as a table, as JSON, and as a plot.
type Result interface {
	WriteTable(w io.Writer) error
	WritePlot(path string) error
}

var (
	_ Result = (*LocomoResult)(nil)
	_ Result = (*UpdatesResult)(nil)
	_ Result = (*StaleResult)(nil)
	_ Result = (*LoadResult)(nil)
)

// WriteJSON writes r as exactly one indented JSON object and a newline.
func WriteJSON(w io.Writer, r Result) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// table writes tab-separated rows aligned in columns.
type table struct{ tw *tabwriter.Writer }

func newTable(w io.Writer) *table {
	return &table{tw: tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)}
}

func (t *table) row(cells ...any) {
	s := make([]string, len(cells))
	for i, c := range cells {
		switch v := c.(type) {
		case float64:
			s[i] = fmt.Sprintf("%.3f", v)
		default:
			s[i] = fmt.Sprint(v)
		}
	}
	fmt.Fprintln(t.tw, strings.Join(s, "\t")+"\t")
}

func (t *table) flush() error { return t.tw.Flush() }

// WriteTable prints the LoCoMo figures: categories 1–4 at every k, R@10 and hit@10 per
// category, and wrong-speaker@1.
func (r *LocomoResult) WriteTable(w io.Writer) error {
	stored := "each turn stored alone"
	if r.TurnContext {
		stored = "each turn stored with the turn before it as its context"
	}
	fmt.Fprintf(w, "LoCoMo evidence retrieval: %s (embedder %s)\n%d conversations, %d turns (%s), %d questions (%d without valid evidence, excluded from R@k); top %d per query, asked the day after the last session.\n\n",
		r.Data, r.Embedder, r.Conversations, r.Turns, stored, r.Questions, r.Excluded, RetrieveK)
	n := 0
	if len(r.ModeOrder) > 0 {
		n = r.Modes[r.ModeOrder[0]].Overall.N
	}
	fmt.Fprintf(w, "Categories 1-4 (n=%d)\n", n)
	t := newTable(w)
	hdr := []any{"mode"}
	for _, p := range []string{"R@", "hit@", "session_R@"} {
		for _, k := range Ks {
			hdr = append(hdr, fmt.Sprintf("%s%d", p, k))
		}
	}
	t.row(append(hdr, "p50 ms")...)
	for _, m := range r.ModeOrder {
		row := []any{string(m)}
		for _, p := range []string{"R@", "hit@", "session_R@"} {
			for _, k := range Ks {
				row = append(row, r.Modes[m].Overall.Metrics[fmt.Sprintf("%s%d", p, k)])
			}
		}
		t.row(append(row, r.Modes[m].SearchP50MS)...)
	}
	if err := t.flush(); err != nil {
		return err
	}
	for _, metric := range []string{"R@10", "hit@10"} {
		fmt.Fprintf(w, "\n%s by category\n", metric)
		t = newTable(w)
		hdr := []any{"mode"}
		var cats []string
		if len(r.ModeOrder) > 0 {
			cats = sortedKeys(r.Modes[r.ModeOrder[0]].Categories)
			for _, c := range cats {
				g := r.Modes[r.ModeOrder[0]].Categories[c]
				hdr = append(hdr, fmt.Sprintf("%s %s (n=%d)", c, g.Name, g.N))
			}
		}
		t.row(hdr...)
		for _, m := range r.ModeOrder {
			row := []any{string(m)}
			for _, c := range cats {
				row = append(row, r.Modes[m].Categories[c].Metrics[metric])
			}
			t.row(row...)
		}
		if err := t.flush(); err != nil {
			return err
		}
	}
	fmt.Fprintf(w, "\nCategory 5: wrong-speaker@1, over the items naming exactly one speaker\n")
	t = newTable(w)
	t.row("mode", "wrong_speaker@1", "n")
	for _, m := range r.ModeOrder {
		t.row(string(m), r.Modes[m].WrongSpeaker, r.Modes[m].WrongSpeakerN)
	}
	if err := t.flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "\n%.1fs\n", r.Seconds)
	return err
}

// WriteTable prints the stale-fact figures: the headline, then every variant by mode.
func (r *StaleResult) WriteTable(w io.Writer) error {
	fmt.Fprintf(w, "Stale facts: seed %d, embedder %s, %d subjects (%d per agent), 2 to %d values per attribute; %d passages, %d queries (all variants).\n\n",
		r.Seed, r.Embedder, r.Subjects, r.PerAgent, r.Updates, r.Passages, r.Queries)
	fmt.Fprintln(w, "Headline (single-hop; keyed = keyed-inorder + keyed-shuffled)")
	t := newTable(w)
	t.row("mode", "keyed current@1", "keyed stale@5", "unkeyed current@1", "p50 ms")
	for _, m := range r.ModeOrder {
		sm := r.Modes[m]
		t.row(string(m), sm.Current1, sm.Stale5, sm.UnkeyedCurrent1, sm.SearchP50MS)
	}
	if err := t.flush(); err != nil {
		return err
	}
	fmt.Fprintln(w, "\nKeyed current@1 by attribute (single-hop)")
	t = newTable(w)
	var attrs []string
	if len(r.ModeOrder) > 0 {
		attrs = sortedKeys(r.Modes[r.ModeOrder[0]].KeyedByAttribute)
	}
	t.row(append([]any{"mode"}, toAny(attrs)...)...)
	for _, m := range r.ModeOrder {
		row := []any{string(m)}
		for _, a := range attrs {
			row = append(row, r.Modes[m].KeyedByAttribute[a])
		}
		t.row(row...)
	}
	if err := t.flush(); err != nil {
		return err
	}
	fmt.Fprintln(w, "\nSingle-hop current@1 by phrasing: questions that name the attribute's word (\"Which city does Kate live in?\") and questions in other words (\"Where does Kate live?\")")
	t = newTable(w)
	t.row("variant", "mode", "names the attribute", "other words")
	for _, v := range r.VariantOrder {
		for _, m := range r.ModeOrder {
			x := r.Modes[m].Variants[v].Metrics
			if _, ok := x["current@1_other_words"]; ok {
				t.row(v, string(m), x["current@1_names_attribute"], x["current@1_other_words"])
			}
		}
	}
	if err := t.flush(); err != nil {
		return err
	}
	fmt.Fprintln(w, "\nPer variant (top1_*: what the top hit was when it was not the current value)")
	t = newTable(w)
	t.row("variant", "mode", "n", "current@1", "stale@5", "MRR", "top1_stale", "same_subj", "other_subj", "decoy", "noise")
	for _, v := range r.VariantOrder {
		for _, m := range r.ModeOrder {
			g := r.Modes[m].Variants[v]
			x := g.Metrics
			t.row(v, string(m), g.N, x["current@1"], x["stale@5"], x["MRR"], x["top1_stale"], x["top1_same_subject"],
				x["top1_other_subject"], x["top1_decoy"], x["top1_noise"])
		}
	}
	if err := t.flush(); err != nil {
		return err
	}
	var multi []string
	for _, v := range r.VariantOrder {
		if strings.HasPrefix(v, "multihop") {
			multi = append(multi, v)
		}
	}
	if len(multi) > 0 {
		fmt.Fprintln(w, "\nMulti-hop (n = chains): each hop asked alone, both right, and both current facts in the chained question's top 10")
		t = newTable(w)
		t.row("variant", "mode", "n", "hop1_current@1", "hop2_current@1", "joint@1", "chained_both@10")
		for _, v := range multi {
			for _, m := range r.ModeOrder {
				g := r.Modes[m].Variants[v]
				t.row(v, string(m), g.N, g.Metrics["hop1_current@1"], g.Metrics["hop2_current@1"], g.Metrics["joint@1"], g.Metrics["chained_both@10"])
			}
		}
		if err := t.flush(); err != nil {
			return err
		}
	}
	_, err := fmt.Fprintf(w, "\n%.1fs\n", r.Seconds)
	return err
}

func toAny(xs []string) []any {
	out := make([]any, len(xs))
	for i, x := range xs {
		out[i] = x
	}
	return out
}

// WriteTable prints the load figures: per endpoint, peak memory, and the ladder.
func (r *LoadResult) WriteTable(w io.Writer) error {
	fmt.Fprintf(w, "Load: %d agents, closed loop, %.1fs against %s\n\n", r.Agents, r.DurationS, r.Target)
	t := newTable(w)
	t.row("endpoint", "n", "errors", "rps", "p50 ms", "p95 ms", "p99 ms")
	for _, ep := range r.EndpointOrder {
		s := r.Endpoints[ep]
		t.row(ep, s.N, s.Errors, s.RPS, s.P50, s.P95, s.P99)
	}
	if err := t.flush(); err != nil {
		return err
	}
	for _, ep := range r.EndpointOrder {
		if s := r.Endpoints[ep]; s.FirstError != "" {
			fmt.Fprintf(w, "first %s error: %s\n", ep, s.FirstError)
		}
	}
	if r.PeakRSSNote != "" {
		fmt.Fprintf(w, "\npeak RSS: %s\n", r.PeakRSSNote)
	} else {
		fmt.Fprintf(w, "\npeak RSS (VmHWM, server and load generator in one process): %.1f MiB after the run, %.1f MiB after the ladder\n",
			r.PeakRSSMB, r.PeakRSSLadderMB)
	}
	if len(r.OpenLoop) > 0 {
		fmt.Fprintf(w, "\nOpen loop: appends offered at a fixed rate over the %d agents (ms from each request's scheduled start)\n", r.Agents)
		t = newTable(w)
		t.row("offered/s", "n", "errors", "answered/s", "p50 ms", "p95 ms", "p99 ms")
		for _, s := range r.OpenLoop {
			t.row(s.Rate, s.Offered, s.Errors, s.AchievedRPS, s.P50, s.P95, s.P99)
		}
		if err := t.flush(); err != nil {
			return err
		}
		for _, s := range r.OpenLoop {
			if s.FirstError != "" {
				fmt.Fprintf(w, "first error at %d/s: %s\n", s.Rate, s.FirstError)
			}
		}
	}
	if len(r.Ladder) > 0 {
		fmt.Fprintf(w, "\nCorpus-size ladder: archival search latency (ms, k=10, over HTTP) as %d agent(s) grow, timed once the vector index has linked its backlog (settle s); passages per agent, peak RSS after each rung\n", r.Ladder[0].Agents)
		t = newTable(w)
		t.row("passages", "agents", "insert/s", "settle s", "full p50", "full p95", "full p99", "bm25 p50", "bm25 p95", "relevance p50", "relevance p95", "peak RSS MiB")
		for _, s := range r.Ladder {
			t.row(s.Passages, s.Agents, s.InsertRPS, s.SettleSeconds, s.P50, s.P95, s.P99, s.Modes["bm25"].P50, s.Modes["bm25"].P95,
				s.Modes["relevance"].P50, s.Modes["relevance"].P95, s.PeakRSSMB)
		}
		if err := t.flush(); err != nil {
			return err
		}
	}
	_, err := fmt.Fprintf(w, "\n%.1fs\n", r.Seconds)
	return err
}
