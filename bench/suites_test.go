package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/memsvc/memsvc/state"
)

// decode round-trips r through WriteJSON and checks that it is exactly one JSON object.
func decode(t *testing.T, r Result) map[string]any {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteJSON(&buf, r); err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(&buf)
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatal(err)
	}
	if dec.More() {
		t.Fatal("more than one JSON value")
	}
	return m
}

func obj(t *testing.T, v any, path string) map[string]any {
	t.Helper()
	m, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("%s: %T, want an object", path, v)
	}
	return m
}

// unitMetrics checks that every number in a metric group other than n lies in [0, 1], and
// that the keys named are present.
func unitMetrics(t *testing.T, v any, path string, keys ...string) map[string]any {
	t.Helper()
	g := obj(t, v, path)
	for k, x := range g {
		if k == "n" || k == "name" {
			continue
		}
		f, ok := x.(float64)
		if !ok || f < 0 || f > 1 {
			t.Errorf("%s.%s = %v, want a number in [0, 1]", path, k, x)
		}
	}
	for _, k := range keys {
		if _, ok := g[k]; !ok {
			t.Errorf("%s has no %q", path, k)
		}
	}
	return g
}

// checkOutputs renders r as a table and as SVG and PNG plots.
func checkOutputs(t *testing.T, r Result, want ...string) {
	t.Helper()
	var buf bytes.Buffer
	if err := r.WriteTable(&buf); err != nil {
		t.Fatal(err)
	}
	for _, w := range want {
		if !strings.Contains(buf.String(), w) {
			t.Errorf("table lacks %q:\n%s", w, buf.String())
		}
	}
	for _, ext := range []string{".svg", ".png"} {
		path := filepath.Join(t.TempDir(), "plot"+ext)
		if err := r.WritePlot(path); err != nil {
			t.Fatalf("plot %s: %v", ext, err)
		}
		if fi, err := os.Stat(path); err != nil || fi.Size() < 1000 {
			t.Errorf("plot %s: %v, %d bytes", ext, err, fi.Size())
		}
	}
	if err := r.WritePlot(filepath.Join(t.TempDir(), "plot.gif")); err == nil {
		t.Error("a .gif plot did not fail")
	}
}

func testCommon(t *testing.T) Common {
	return Common{Seed: 1, Progress: tlog{t}}
}

// tlog writes progress lines to the test log.
type tlog struct{ t *testing.T }

func (w tlog) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func TestLocomoSuite(t *testing.T) {
	convs, err := LoadLocomo("testdata/locomo-tiny.json")
	if err != nil {
		t.Fatal(err)
	}
	res, err := RunLocomo(state.WithTenant(context.Background(), state.DefaultTenant), LocomoConfig{Common: testCommon(t), Path: "testdata/locomo-tiny.json", Data: convs})
	if err != nil {
		t.Fatal(err)
	}
	if res.Turns != 6 || res.Questions != 9 || res.Excluded != 2 {
		t.Errorf("%d turns, %d questions, %d excluded; want 6, 9, 2", res.Turns, res.Questions, res.Excluded)
	}
	m := decode(t, res)
	if m["suite"] != "locomo" {
		t.Errorf("suite = %v", m["suite"])
	}
	modes := obj(t, m["modes"], "modes")
	if len(modes) != len(AllModes) {
		t.Errorf("%d modes", len(modes))
	}
	for _, mode := range AllModes {
		p := "modes." + string(mode)
		mm := obj(t, modes[string(mode)], p)
		unitMetrics(t, mm["overall"], p+".overall", "R@1", "R@5", "R@10", "R@25", "hit@1", "hit@10", "session_R@1", "session_R@25")
		cats := obj(t, mm["categories"], p+".categories")
		for _, c := range []string{"1", "2", "4", "5"} {
			unitMetrics(t, cats[c], p+".categories."+c, "R@10", "hit@10", "session_R@10")
		}
		if _, ok := cats["3"]; ok {
			t.Errorf("%s: category 3 has no valid evidence in the fixture, yet is reported", p)
		}
		if ws, ok := mm["wrong_speaker@1"].(float64); !ok || ws < 0 || ws > 1 {
			t.Errorf("%s.wrong_speaker@1 = %v", p, mm["wrong_speaker@1"])
		}
		if mm["wrong_speaker_n"] != 1.0 {
			t.Errorf("%s.wrong_speaker_n = %v, want 1", p, mm["wrong_speaker_n"])
		}
	}
	// Every single-hop answer is one obvious turn: BM25 ranks it first.
	bm := res.Modes[ModeBM25]
	if got := bm.Categories["4"].Metrics["R@1"]; got != 1 {
		t.Errorf("bm25 category 4 R@1 = %v, want 1", got)
	}
	if got := bm.Overall.Metrics["R@25"]; got != 1 {
		t.Errorf("bm25 R@25 = %v, want 1 (the corpus has 6 turns)", got)
	}
	// "What did Ben call his grey kitten?": the kitten is Ava's, so the top hit is Ava's turn.
	if bm.WrongSpeaker != 1 {
		t.Errorf("bm25 wrong_speaker@1 = %v, want 1", bm.WrongSpeaker)
	}
	checkOutputs(t, res, "Categories 1-4", "wrong_speaker@1", "4 single-hop")
}

func TestStaleSuite(t *testing.T) {
	res, err := RunStale(state.WithTenant(context.Background(), state.DefaultTenant), StaleConfig{Common: testCommon(t), Gen: StaleGenConfig{Subjects: 5, PerAgent: 5, Updates: 3}})
	if err != nil {
		t.Fatal(err)
	}
	m := decode(t, res)
	if m["suite"] != "stale" {
		t.Errorf("suite = %v", m["suite"])
	}
	modes := obj(t, m["modes"], "modes")
	for _, mode := range AllModes {
		p := "modes." + string(mode)
		mm := obj(t, modes[string(mode)], p)
		for _, k := range []string{"current@1", "stale@5", "unkeyed_current@1"} {
			if f, ok := mm[k].(float64); !ok || f < 0 || f > 1 {
				t.Errorf("%s.%s = %v", p, k, mm[k])
			}
		}
		unitMetrics(t, mm["keyed_current@1_by_attribute"], p+".keyed_current@1_by_attribute", "city", "employer", "phone")
		vs := obj(t, mm["variants"], p+".variants")
		if len(vs) != len(StaleVariants) {
			t.Errorf("%s: %d variants", p, len(vs))
		}
		for _, v := range StaleVariants {
			keys := []string{"current@1", "stale@5", "MRR", "top1_stale", "top1_other_subject", "top1_decoy"}
			if v.MultiHop {
				keys = append(keys, "hop1_current@1", "hop2_current@1", "joint@1", "chained_both@10")
			}
			g := unitMetrics(t, vs[v.Name], p+".variants."+v.Name, keys...)
			// The top hit is exactly one kind of fact.
			sum := g["current@1"].(float64)
			for _, k := range topKinds {
				sum += g[k].(float64)
			}
			if sum < 0.999 || sum > 1.001 {
				t.Errorf("%s.variants.%s: current@1 and top1_* sum to %v", p, v.Name, sum)
			}
			if g["MRR"].(float64) < g["current@1"].(float64) {
				t.Errorf("%s.variants.%s: MRR below current@1", p, v.Name)
			}
		}
	}
	if n := res.Modes[ModeFull].Variants["keyed-inorder"].N; n != 5*len(staleAttributes) {
		t.Errorf("keyed-inorder n = %d, want %d", n, 5*len(staleAttributes))
	}
	if n := res.Modes[ModeFull].Variants["multihop-keyed"].N; n != 5 {
		t.Errorf("multihop-keyed n = %d chains, want 5", n)
	}
	checkOutputs(t, res, "keyed current@1", "multihop-unkeyed", "chained_both@10")
}

func TestStaleVariantsSelect(t *testing.T) {
	if _, err := selectVariants([]string{"keyed-inorder", "nope"}); err == nil {
		t.Error("unknown variant accepted")
	}
	vs, err := selectVariants([]string{"multihop-keyed", "keyed-inorder"})
	if err != nil || len(vs) != 2 || vs[0].Name != "keyed-inorder" {
		t.Errorf("%v, %v", vs, err)
	}
}

func TestLoadSuite(t *testing.T) {
	res, err := RunLoad(state.WithTenant(context.Background(), state.DefaultTenant), LoadConfig{Common: testCommon(t), Duration: time.Second, Agents: 2,
		SeedPassages: 20, Ladder: []int{100}, LadderQueries: 10, LadderAgents: 2, Rates: []int{50}, RateDuration: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	m := decode(t, res)
	if m["suite"] != "load" {
		t.Errorf("suite = %v", m["suite"])
	}
	eps := obj(t, m["endpoints"], "endpoints")
	for _, ep := range []string{epAppend, epRecallSearch, epArchivalSearch, epArchivalInsert} {
		e := obj(t, eps[ep], "endpoints."+ep)
		for _, k := range []string{"p50", "p95", "p99", "rps", "n", "errors"} {
			if _, ok := e[k].(float64); !ok {
				t.Errorf("endpoints.%s.%s = %v", ep, k, e[k])
			}
		}
		s := res.Endpoints[ep]
		if s.Errors != 0 {
			t.Errorf("%s: %d errors, first: %s", ep, s.Errors, s.FirstError)
		}
		if s.N > 0 && (s.RPS <= 0 || s.P50 <= 0 || s.P50 > s.P95 || s.P95 > s.P99) {
			t.Errorf("%s: %+v", ep, s)
		}
	}
	if res.Endpoints[epAppend].N == 0 || res.Endpoints[epArchivalSearch].N == 0 {
		t.Error("no appends or archival searches in a second")
	}
	if res.PeakRSSMB <= 0 {
		t.Errorf("peak RSS = %v", res.PeakRSSMB)
	}
	ladder, ok := m["ladder"].([]any)
	if !ok || len(ladder) != 1 {
		t.Fatalf("ladder = %v", m["ladder"])
	}
	step := obj(t, ladder[0], "ladder[0]")
	if step["passages"] != 100.0 || step["agents"] != 2.0 || step["p50"].(float64) <= 0 || step["peak_rss_mb"].(float64) <= 0 {
		t.Errorf("ladder[0] = %v", step)
	}
	// The open-loop phase offered 50 appends in a second, each answered, latency from its slot.
	if len(res.OpenLoop) != 1 {
		t.Fatalf("open loop = %+v", res.OpenLoop)
	}
	if ol := res.OpenLoop[0]; ol.Rate != 50 || ol.Offered != 50 || ol.Errors != 0 || ol.AchievedRPS <= 0 ||
		ol.P50 <= 0 || ol.P50 > ol.P99 {
		t.Errorf("open loop step = %+v", ol)
	}
	checkOutputs(t, res, "archival_search", "Corpus-size ladder", "Open loop")
}
