package bench

import (
	"encoding/json"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Ks are the cut-offs the rank metrics are reported at; searches retrieve MaxKs once.
var Ks = []int{1, 5, 10, 25}

// RetrieveK is how many hits each retrieval suite asks for per query.
const RetrieveK = 25

// RecallAtK is LoCoMo's retrieval recall: the fraction of the evidence ids that are among the
// first k retrieved ids. evidence must be non-empty; repeats in either list count once.
func RecallAtK(retrieved, evidence []string, k int) float64 {
	ev := set(evidence)
	if len(ev) == 0 {
		return 0
	}
	found := map[string]bool{}
	for _, id := range head(retrieved, k) {
		if ev[id] {
			found[id] = true
		}
	}
	return float64(len(found)) / float64(len(ev))
}

// HitAtK is 1 when any evidence id is among the first k retrieved ids, else 0.
func HitAtK(retrieved, evidence []string, k int) float64 {
	ev := set(evidence)
	for _, id := range head(retrieved, k) {
		if ev[id] {
			return 1
		}
	}
	return 0
}

// SessionRecallAtK is the fraction of the evidence's sessions covered by the sessions of the
// first k retrieved ids (LoCoMo dialogue ids, "D<session>:<turn>"; see SessionOf).
func SessionRecallAtK(retrieved, evidence []string, k int) float64 {
	want := map[int]bool{}
	for _, id := range evidence {
		if s, ok := SessionOf(id); ok {
			want[s] = true
		}
	}
	if len(want) == 0 {
		return 0
	}
	got := map[int]bool{}
	for _, id := range head(retrieved, k) {
		if s, ok := SessionOf(id); ok && want[s] {
			got[s] = true
		}
	}
	return float64(len(got)) / float64(len(want))
}

// ReciprocalRank is 1/r for the 1-based rank r of target in retrieved, or 0 when it is absent.
func ReciprocalRank(retrieved []string, target string) float64 {
	for i, id := range retrieved {
		if id == target {
			return 1 / float64(i+1)
		}
	}
	return 0
}

var diaIDRE = regexp.MustCompile(`^D(\d+):(\d+)$`)

// SessionOf returns the session number of a LoCoMo dialogue id "D<session>:<turn>".
func SessionOf(diaID string) (int, bool) {
	m := diaIDRE.FindStringSubmatch(diaID)
	if m == nil {
		return 0, false
	}
	n, err := strconv.Atoi(m[1])
	return n, err == nil
}

// NamedSpeaker returns the one of speakers a and b that question names as a whole word (any
// case, possessives included), and false when it names both or neither.
func NamedSpeaker(question, a, b string) (string, bool) {
	na, nb := namesWord(question, a), namesWord(question, b)
	switch {
	case na && !nb:
		return a, true
	case nb && !na:
		return b, true
	}
	return "", false
}

func namesWord(text, name string) bool {
	if name == "" {
		return false
	}
	re := regexp.MustCompile(`(?i)\b` + regexp.QuoteMeta(name) + `\b`)
	return re.MatchString(text)
}

// WrongSpeaker reports whether a top hit said by topSpeaker answers a question that names
// named: it is wrong when it was said by someone else. No hit is not a wrong speaker.
func WrongSpeaker(named, topSpeaker string) bool {
	return topSpeaker != "" && !strings.EqualFold(named, topSpeaker)
}

func set(ids []string) map[string]bool {
	m := make(map[string]bool, len(ids))
	for _, id := range ids {
		m[id] = true
	}
	return m
}

func head[T any](xs []T, k int) []T {
	if k < len(xs) {
		return xs[:k]
	}
	return xs
}

// Group is a set of mean metrics over N items. It marshals flat:
// {"name": …, "n": …, "R@10": …, …}; every metric lies in [0, 1].
type Group struct {
	Name    string
	N       int
	Metrics map[string]float64
}

// MarshalJSON writes the group as one flat object.
func (g Group) MarshalJSON() ([]byte, error) {
	m := make(map[string]any, len(g.Metrics)+2)
	for k, v := range g.Metrics {
		m[k] = round4(v)
	}
	if g.Name != "" {
		m["name"] = g.Name
	}
	m["n"] = g.N
	return json.Marshal(m)
}

func round4(x float64) float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return 0
	}
	return math.Round(x*1e4) / 1e4
}

// means accumulates per-metric means; a metric's denominator counts only the items that had it.
type means struct {
	n   int
	sum map[string]float64
	cnt map[string]int
}

func newMeans() *means { return &means{sum: map[string]float64{}, cnt: map[string]int{}} }

// add records one item's metrics.
func (m *means) add(vals map[string]float64) {
	m.n++
	for k, v := range vals {
		m.sum[k] += v
		m.cnt[k]++
	}
}

// merge adds every item of o.
func (m *means) merge(o *means) {
	m.n += o.n
	for k, v := range o.sum {
		m.sum[k] += v
		m.cnt[k] += o.cnt[k]
	}
}

func (m *means) group(name string) Group {
	g := Group{Name: name, N: m.n, Metrics: make(map[string]float64, len(m.sum))}
	for k, v := range m.sum {
		g.Metrics[k] = v / float64(m.cnt[k])
	}
	return g
}

// percentile returns the nearest-rank p-th percentile (0 < p <= 100) of sorted values.
func percentile(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(p/100*float64(len(sorted)))) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

// sortedKeys returns the keys of m sorted, numbers by value first ("2" before "10").
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, ea := strconv.Atoi(keys[i])
		b, eb := strconv.Atoi(keys[j])
		if ea == nil && eb == nil {
			return a < b
		}
		return keys[i] < keys[j]
	})
	return keys
}
