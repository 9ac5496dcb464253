package bench

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/memsvc/memsvc/state"
)

// The guard: every suite runs on a fixed small sample of the development data, and the test
// fails when full falls below hybrid by more than guardSlack on a suite's primary metric, or
// when a headline figure falls more than guardSlack below its committed value
// (testdata/guard.json), so that no change trades one suite for another unseen. Figures are
// deterministic (seeded data, ticking clocks). After a change that rightly moves them, rewrite
// the file with MEMSVC_GUARD_UPDATE=1 go test ./bench -run TestGuard, and say why in the commit.

const guardSlack = 0.01

const guardFile = "testdata/guard.json"

// sharedData finds rel under the shared directory beside the repository (../shared from the
// repository root) or under $MEMSVC_SHARED; "" when neither holds it.
func sharedData(rel string) string {
	for _, dir := range []string{os.Getenv("MEMSVC_SHARED"), filepath.Join("..", "..", "shared")} {
		if dir == "" {
			continue
		}
		if p := filepath.Join(dir, rel); fileExists(p) {
			return p
		}
	}
	return ""
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

func TestGuard(t *testing.T) {
	if testing.Short() {
		t.Skip("the guard runs every suite on a sample (about a minute on two cores)")
	}
	beamPath, locomoPath := sharedData("data/beam/beam-500k-user.json"), sharedData("data/locomo/locomo-dev.json")
	if beamPath == "" || locomoPath == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("the guard needs ../shared/data (BEAM and LoCoMo) beside the repository")
		}
		t.Skip("no ../shared/data beside the repository")
	}
	ctx := state.WithTenant(context.Background(), state.DefaultTenant)
	modes := []Mode{ModeHybrid, ModeFull}
	common := Common{Modes: modes, Seed: 1, Workers: 2}
	got := map[string]float64{}
	pairs := map[string][2]float64{} // metric -> hybrid, full

	chats, err := LoadBeam(beamPath)
	if err != nil {
		t.Fatal(err)
	}
	beam, err := RunBeam(ctx, BeamConfig{Common: common, Path: beamPath, Data: chats, Chats: 8})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range modes {
		x := beam.Modes[m]
		got["beam."+string(m)+".updated@10"] = x.Updated10
		got["beam."+string(m)+".current_first@10"] = x.CurrentFirst10
		got["beam."+string(m)+".both@10"] = x.Both10
	}
	got["beam.full.marked@10"] = beam.Modes[ModeFull].Marked10
	pairs["beam current_first@10"] = [2]float64{beam.Modes[ModeHybrid].CurrentFirst10, beam.Modes[ModeFull].CurrentFirst10}

	convs, err := LoadLocomo(locomoPath)
	if err != nil {
		t.Fatal(err)
	}
	loc, err := RunLocomo(ctx, LocomoConfig{Common: common, Path: locomoPath, Data: convs, Conversations: 1, Recall: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range modes {
		for _, k := range []string{"R@1", "R@5", "R@10"} {
			got["locomo."+string(m)+"."+k] = loc.Modes[m].Overall.Metrics[k]
		}
	}
	got["locomo.full.wrong_speaker@1"] = -loc.Modes[ModeFull].WrongSpeaker // lower is better
	for _, k := range []string{"R@1", "R@5", "R@10"} {
		got["locomo.recall."+k] = loc.Modes[modeRecall].Overall.Metrics[k]
	}
	got["locomo.recall.wrong_speaker@1"] = -loc.Modes[modeRecall].WrongSpeaker
	for _, k := range []string{"R@1", "R@5"} {
		pairs["locomo "+k] = [2]float64{loc.Modes[ModeHybrid].Overall.Metrics[k], loc.Modes[ModeFull].Overall.Metrics[k]}
	}

	stale, err := RunStale(ctx, StaleConfig{Common: common, Gen: StaleGenConfig{Subjects: 40, PerAgent: 20, Updates: 5, Decoys: 3, Noise: 4}})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range modes {
		got["stale."+string(m)+".current@1"] = stale.Modes[m].Current1
		got["stale."+string(m)+".unkeyed_current@1"] = stale.Modes[m].UnkeyedCurrent1
	}
	got["stale.full.-stale@5"] = -stale.Modes[ModeFull].Stale5
	for _, v := range []string{"keyed-otherwords-shuffled", "keyed-opaque-shuffled"} {
		got["stale.full."+v+".current@1"] = stale.Modes[ModeFull].Variants[v].Metrics["current@1"]
	}
	// Each phrasing on its own (questions that name the attribute's word, and in other words),
	// so that a change cannot trade one for the other unseen.
	for _, v := range []string{"keyed-shuffled", "unkeyed-shuffled"} {
		for _, k := range []string{"current@1_names_attribute", "current@1_other_words"} {
			got["stale.full."+v+"."+k] = stale.Modes[ModeFull].Variants[v].Metrics[k]
		}
	}
	pairs["stale current@1"] = [2]float64{stale.Modes[ModeHybrid].Current1, stale.Modes[ModeFull].Current1}
	pairs["stale unkeyed current@1"] = [2]float64{stale.Modes[ModeHybrid].UnkeyedCurrent1, stale.Modes[ModeFull].UnkeyedCurrent1}

	upd, err := RunUpdates(ctx, UpdatesConfig{Common: common, Gen: UpdatesGenConfig{Chains: 36, PerAgent: 12, Filler: 300}})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range modes {
		for _, v := range upd.Variants {
			got["updates."+string(m)+"."+v+".newest@1"] = upd.Modes[m][v].Metrics["newest@1"]
			pairs["updates "+v+" newest@1"] = [2]float64{upd.Modes[ModeHybrid][v].Metrics["newest@1"], upd.Modes[ModeFull][v].Metrics["newest@1"]}
		}
	}
	got["updates.full.crowded.clean@5"] = upd.Modes[ModeFull]["crowded"].Metrics["clean@5"]

	sum, err := RunSummary(ctx, SummaryConfig{Common: common, Path: locomoPath, Data: convs, Conversations: 1})
	if err != nil {
		t.Fatal(err)
	}
	ext := sum.Summarizers["extractive"]
	got["summary.extractive.kept"] = ext.Kept
	got["summary.extractive.evidence_any"] = ext.EvidenceAny
	got["summary.extractive.verbatim_any"] = ext.VerbatimAny
	got["summary.extractive.hybrid.evidence@5"] = ext.Evidence5[ModeHybrid]

	for name, p := range pairs {
		if p[1] < p[0]-guardSlack {
			t.Errorf("%s: full %.3f is below hybrid %.3f by more than %.2f", name, p[1], p[0], guardSlack)
		}
	}
	if os.Getenv("MEMSVC_GUARD_UPDATE") != "" {
		b, _ := json.MarshalIndent(got, "", "  ")
		if err := os.WriteFile(guardFile, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", guardFile)
		return
	}
	b, err := os.ReadFile(guardFile)
	if err != nil {
		t.Fatal(err)
	}
	var want map[string]float64
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	names := make([]string, 0, len(want))
	for k := range want {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		g, ok := got[k]
		if !ok {
			t.Errorf("%s: committed in %s but no longer measured", k, guardFile)
			continue
		}
		if g < want[k]-guardSlack {
			t.Errorf("%s fell to %.4f from its committed %.4f (more than %.2f)", k, g, want[k], guardSlack)
		}
	}
}
