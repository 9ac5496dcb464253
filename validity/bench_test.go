package validity

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// BenchmarkRank scores n chat-like candidates, each a sentence or two with values (amounts,
// counts, dates) among words drawn from one topic's vocabulary, so that many answer the query
// and state values: the slot tests (near-duplicates, values changed in passing, chains) run on
// most pairs. Candidates come oldest first, the order that compares the most pairs.
func BenchmarkRank(b *testing.B) {
	words := strings.Fields(`backup job nightly server disk budget monthly spend session minutes
		hours score test weekly plan schedule review rating progress tutoring compression cache
		request limit deploy cluster node memory latency target goal finish improve increase`)
	for _, n := range []int{40, 400, 1000} {
		rng := rand.New(rand.NewPCG(uint64(n), 7))
		day := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
		cands := make([]Candidate, n)
		for i := range cands {
			var sb strings.Builder
			sb.WriteString("I'm kinda wondering about my")
			for j := range 18 {
				sb.WriteString(" " + words[rng.IntN(len(words))])
				if j%6 == 2 {
					fmt.Fprintf(&sb, " %d", 10+rng.IntN(990))
				}
			}
			sb.WriteString(", can you help me with that?")
			cands[i] = Candidate{Relevance: 1 - float64(i)/float64(2*n), Text: sb.String(), Status: Valid,
				ValidFrom: day.AddDate(0, 0, i/10), Written: int64(i)}
		}
		q := Query{Text: "How many minutes does my nightly backup job take to finish?", Now: day.AddDate(1, 0, 0)}
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			for b.Loop() {
				Rank(q, cands, Default)
			}
		})
	}
}

// BenchmarkRankStatements scores n single statements about eight people (or one: the largest
// pool, 400 candidates for k = 100, all about one person), each with a 612-d vector (the
// default embedder's size), as the stale suite's agents hold them: every pair of one person's
// statements is compared, and slotGroups clusters each person's.
func BenchmarkRankStatements(b *testing.B) {
	people := []string{"Alice", "Bob", "Carol", "David", "Emma", "Frank", "Grace", "Henry"}
	verbs := []string{"lives in", "works at", "drives a", "adopted a", "plays", "is learning", "uses a", "loves"}
	objects := []string{"Paris", "Acme", "Volvo", "beagle", "tennis", "Dutch", "Pixel", "ramen", "Oslo", "Globex"}
	for _, c := range []struct{ n, people int }{{40, 8}, {120, 8}, {400, 1}} {
		n := c.n
		rng := rand.New(rand.NewPCG(uint64(n), 9))
		day := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
		cands := make([]Candidate, n)
		for i := range cands {
			vec := make([]float32, 612)
			for j := range vec {
				vec[j] = float32(rng.NormFloat64())
			}
			text := fmt.Sprintf("%s %s %s.", people[rng.IntN(c.people)], verbs[rng.IntN(len(verbs))], objects[rng.IntN(len(objects))])
			cands[i] = Candidate{Relevance: 1 - float64(i)/float64(2*n), Text: text, Vector: vec, Status: Valid,
				ValidFrom: day.AddDate(0, 0, i), Written: int64(i)}
		}
		q := Query{Text: "Where does Alice live?", Now: day.AddDate(1, 0, 0)}
		b.Run(fmt.Sprintf("n=%d/people=%d", n, c.people), func(b *testing.B) {
			for b.Loop() {
				Rank(q, cands, Default)
			}
		})
	}
}
