package state

import "github.com/memsvc/memsvc/rank"

// RecallDepth is how deep each half of a recall search (lexical, dense) looks before fusion.
func RecallDepth(k int) int { return max(50, 5*k) }

// MergeRecall lists a recall search's candidates as SearchMessages returns them, unfused: the
// lexical hits in their order (the caller sets their Lexical score and LexicalRank), then the
// dense hits that are not among them. dense comes best first; its hits get the competition ranks
// of their similarities (rank.Ranks: near-equal similarities share one), and a message found by
// both halves carries both scores and ranks.
func MergeRecall(lexical, dense []MessageHit) []MessageHit {
	out := make([]MessageHit, len(lexical), len(lexical)+len(dense))
	copy(out, lexical)
	at := make(map[string]int, len(lexical))
	for i, h := range lexical {
		at[h.Message.ID] = i
	}
	scores := make([]float64, len(dense))
	for i, h := range dense {
		scores[i] = h.Dense
	}
	for i, r := range rank.Ranks(scores) {
		h := dense[i]
		if j, ok := at[h.Message.ID]; ok {
			out[j].Dense, out[j].DenseRank = h.Dense, r
			continue
		}
		h.DenseRank = r
		at[h.Message.ID] = len(out)
		out = append(out, h)
	}
	return out
}
