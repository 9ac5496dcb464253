package bench

import (
	"context"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/memsvc/memsvc/embed"
	"github.com/memsvc/memsvc/state"
	"github.com/memsvc/memsvc/validity"
)

// TestSlotSeparation measures how well the built-in embedder tells two statements of one slot
// ("Alice moved to Berlin", "Alice lives in Paris") from two of different slots of the same
// person ("Alice works at Bluefin Analytics"), over the stale generator's first three agents
// (seed 2): the AUC of the cosine, the chance that a same-slot pair is closer than an other-slot
// pair. Unkeyed supersession can be no better than this separation. Run it with -v to see the
// figures (bench/RESULTS.md): about 0.8 for whole sentences, and no better with the subject's
// name removed from both.
func TestSlotSeparation(t *testing.T) {
	streams := GenerateStale(StaleGenConfig{Seed: 2})
	e := embed.NewBuiltin()
	for _, strip := range []bool{false, true} {
		var same, other []float64
		for _, st := range streams[:3] {
			texts := make([]string, len(st.Facts))
			for i, f := range st.Facts {
				texts[i] = f.Text
				if strip {
					texts[i] = withoutName(f.Text, validity.SubjectOf("", f.Text))
				}
			}
			vecs, err := e.Embed(state.WithTenant(context.Background(), state.DefaultTenant), texts)
			if err != nil {
				t.Fatal(err)
			}
			for i, a := range st.Facts {
				for j := i + 1; j < len(st.Facts); j++ {
					b := st.Facts[j]
					if a.Subject != b.Subject || a.Kind != FactUpdate || b.Kind != FactUpdate {
						continue
					}
					if c := validity.Cosine(vecs[i], vecs[j]); a.Slot == b.Slot {
						same = append(same, c)
					} else {
						other = append(other, c)
					}
				}
			}
		}
		a := auc(same, other)
		t.Logf("subject's name removed %v: %d same-slot and %d other-slot pairs, AUC %.3f", strip, len(same), len(other), a)
		if len(same) == 0 || len(other) == 0 || a <= 0.5 {
			t.Errorf("same-slot pairs must be closer than other-slot pairs more often than not: AUC %.3f over %d/%d pairs", a, len(same), len(other))
		}
	}
}

// withoutName drops the words of text that are name (case-insensitive, with a possessive).
func withoutName(text, name string) string {
	words := strings.Fields(text)
	return strings.Join(slices.DeleteFunc(words, func(w string) bool {
		w = strings.ToLower(strings.Trim(w, ".,!?"))
		return strings.TrimSuffix(strings.TrimSuffix(w, "'s"), "’s") == name
	}), " ")
}

// auc is the probability that a random element of pos exceeds a random element of neg (ties
// count half).
func auc(pos, neg []float64) float64 {
	neg = slices.Clone(neg)
	sort.Float64s(neg)
	var s float64
	for _, p := range pos {
		lo := sort.SearchFloat64s(neg, p)
		hi := sort.Search(len(neg), func(i int) bool { return neg[i] > p })
		s += (float64(lo) + float64(hi-lo)/2) / float64(len(neg))
	}
	return s / float64(len(pos))
}
