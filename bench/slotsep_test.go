package bench

import (
	"context"
	"math"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/memsvc/memsvc/embed"
	"github.com/memsvc/memsvc/embed/use"
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

// TestQuestionFindsItsSlot measures how well each built-in embedder, by cosine alone, picks out
// the statement that answers a slot's question ("Where does Alice work?") among everything said
// about its subject (the stale generator's first three agents, seed 2): the share of questions
// whose nearest statement about the subject is one of the slot's values, with the subject's
// name in the texts and removed from them. It is the ceiling of a predicate match by meaning
// among a subject's memories. Run it with -v to see the figures (bench/RESULTS.md).
func TestQuestionFindsItsSlot(t *testing.T) {
	if testing.Short() {
		t.Skip("loads USE-lite (about 3 s)")
	}
	ctx := state.WithTenant(context.Background(), state.DefaultTenant)
	u := use.New()
	if err := u.Load(); err != nil {
		t.Fatal(err)
	}
	embedders := []struct {
		name string
		e    embed.Embedder
	}{{"glove", embed.NewBuiltin()}, {"use", u}}
	streams := GenerateStale(StaleGenConfig{Seed: 2})[:3]
	for _, strip := range []bool{false, true} {
		hits := map[string]int{}
		n := 0
		for _, st := range streams {
			texts := make([]string, 0, len(st.Facts)+len(st.Slots))
			for _, f := range st.Facts {
				texts = append(texts, f.Text)
			}
			for _, sl := range st.Slots {
				texts = append(texts, sl.Question)
			}
			if strip {
				for i := range st.Facts {
					texts[i] = withoutName(texts[i], validity.SubjectOf("", st.Facts[i].Text))
				}
				for i, sl := range st.Slots {
					texts[len(st.Facts)+i] = withoutName(sl.Question, strings.ToLower(sl.Subject))
				}
			}
			vecs := map[string][][]float32{}
			for _, e := range embedders {
				v, err := e.e.Embed(ctx, texts)
				if err != nil {
					t.Fatal(err)
				}
				vecs[e.name] = v
			}
			for si, sl := range st.Slots {
				n++
				q := len(st.Facts) + si
				for _, name := range []string{"glove", "use", "glove+use"} {
					best, pick := math.Inf(-1), -1
					for i, f := range st.Facts {
						if f.Subject != sl.Subject || !strings.Contains(f.Text, sl.Subject) {
							continue
						}
						var c float64
						if name == "glove+use" { // the default embedder's cosine: the mean of its parts'
							c = (validity.Cosine(vecs["glove"][q], vecs["glove"][i]) + validity.Cosine(vecs["use"][q], vecs["use"][i])) / 2
						} else {
							c = validity.Cosine(vecs[name][q], vecs[name][i])
						}
						if c > best {
							best, pick = c, i
						}
					}
					if pick >= 0 && st.Facts[pick].Kind == FactUpdate && st.Slots[st.Facts[pick].Slot].Key == sl.Key {
						hits[name]++
					}
				}
			}
		}
		for _, name := range []string{"glove", "use", "glove+use"} {
			share := float64(hits[name]) / float64(n)
			t.Logf("subject's name removed %v, %s: the nearest statement about the subject is the slot's for %.3f of %d questions", strip, name, share, n)
			if share <= 0.5 && name != "glove" {
				t.Errorf("%s: the nearest statement is the slot's for only %.3f of the questions", name, share)
			}
		}
	}
}
