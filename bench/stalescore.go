package bench

import (
	"strings"

	"github.com/memsvc/memsvc/textproc"
)

// variantAcc accumulates one variant's metrics in one mode: per slot query (also by the slot's
// attribute), and per chain.
type variantAcc struct {
	queries *means
	byAttr  map[string]*means
	chains  *means
}

func (a *variantAcc) group(name string) Group {
	g := a.queries.group(name)
	if a.chains.n > 0 {
		for k, v := range a.chains.group("").Metrics {
			g.Metrics[k] = v
		}
		g.N = a.chains.n
	}
	return g
}

// scoreStale computes one mode's metrics over a variant's queries.
func scoreStale(m Mode, queries []*staleQuery) *variantAcc {
	a := &variantAcc{queries: newMeans(), byAttr: map[string]*means{}, chains: newMeans()}
	type hops struct{ q1, q2, chained *staleQuery }
	chains := map[*Stream]map[int]*hops{}
	for _, q := range queries {
		ranked := q.facts(m)
		if q.slot >= 0 {
			vals := slotMetrics(q.stream, q.slot, ranked)
			sl := q.stream.Slots[q.slot]
			if namesAttribute(sl.Question, sl.Attribute) {
				vals["current@1_names_attribute"] = vals["current@1"]
			} else {
				vals["current@1_other_words"] = vals["current@1"]
			}
			a.queries.add(vals)
			attr := q.stream.Slots[q.slot].Attribute
			if a.byAttr[attr] == nil {
				a.byAttr[attr] = newMeans()
			}
			a.byAttr[attr].add(map[string]float64{"current@1": vals["current@1"]})
		}
		if q.chain < 0 {
			continue
		}
		if chains[q.stream] == nil {
			chains[q.stream] = map[int]*hops{}
		}
		h := chains[q.stream][q.chain]
		if h == nil {
			h = &hops{}
			chains[q.stream][q.chain] = h
		}
		switch q.hop {
		case 1:
			h.q1 = q
		case 2:
			h.q2 = q
		default:
			h.chained = q
		}
	}
	for s, byChain := range chains {
		for ci, h := range byChain {
			c := s.Chains[ci]
			cur1, cur2 := s.Slots[c.Hop1].Current(), s.Slots[c.Hop2].Current()
			ok1 := top1(h.q1.facts(m)) == cur1
			ok2 := top1(h.q2.facts(m)) == cur2
			chained := h.chained.facts(m)
			a.chains.add(map[string]float64{
				"hop1_current@1":  b2f(ok1),
				"hop2_current@1":  b2f(ok2),
				"joint@1":         b2f(ok1 && ok2),
				"chained_both@10": b2f(contains(chained, cur1, 10) && contains(chained, cur2, 10)),
			})
		}
	}
	return a
}

// facts returns the fact indexes of the query's hits in mode m, best first.
func (q *staleQuery) facts(m Mode) []int {
	ids := q.search.ids[m]
	out := make([]int, 0, len(ids))
	for _, id := range ids {
		if fi, ok := q.ref[id]; ok {
			out = append(out, fi)
		}
	}
	return out
}

// slotMetrics scores one slot's question: whether the top hit is the current value, whether a
// superseded value of the slot is in the top 5, the reciprocal rank of the current value, and
// what kind of fact the top hit was.
func slotMetrics(s *Stream, slot int, ranked []int) map[string]float64 {
	sl := s.Slots[slot]
	cur := sl.Current()
	stale := map[int]bool{}
	for _, f := range sl.Facts[:len(sl.Facts)-1] {
		stale[f] = true
	}
	vals := map[string]float64{"current@1": b2f(top1(ranked) == cur), "stale@5": 0, "MRR": 0}
	for i, f := range ranked {
		if f == cur && vals["MRR"] == 0 {
			vals["MRR"] = 1 / float64(i+1)
		}
		if i < 5 && stale[f] {
			vals["stale@5"] = 1
		}
	}
	for _, k := range topKinds {
		vals[k] = 0
	}
	vals[topKind(s, sl, ranked)] = 1
	return vals
}

// topKinds name what a slot question's top hit was, besides the current value.
var topKinds = []string{"top1_stale", "top1_same_subject", "top1_other_subject", "top1_decoy", "top1_noise", "top1_none"}

func topKind(s *Stream, sl Slot, ranked []int) string {
	if len(ranked) == 0 {
		return "top1_none"
	}
	f := s.Facts[ranked[0]]
	switch {
	case ranked[0] == sl.Current():
		return "current@1" // already counted
	case f.Kind == FactDecoy:
		return "top1_decoy"
	case f.Kind == FactNoise:
		return "top1_noise"
	case s.Slots[f.Slot].Key == sl.Key:
		return "top1_stale"
	case f.Subject == sl.Subject:
		return "top1_same_subject"
	}
	return "top1_other_subject"
}

func top1(ranked []int) int {
	if len(ranked) == 0 {
		return -1
	}
	return ranked[0]
}

func contains(ranked []int, f, k int) bool {
	for _, x := range head(ranked, k) {
		if x == f {
			return true
		}
	}
	return false
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func mean(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	var s float64
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

// namesAttribute reports whether a question names its slot's attribute by its word ("Which city
// does Kate live in?" for city, not "Where does Kate live?"): the questions that avoid it ask
// scoring to find the slot by the memory's meaning, not by the word.
func namesAttribute(question, attribute string) bool {
	for _, w := range textproc.Words(question) {
		if strings.EqualFold(w, attribute) {
			return true
		}
	}
	return false
}
