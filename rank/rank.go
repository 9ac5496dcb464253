// Package rank fuses ranked lists into one relevance score. Every store uses it, so that the
// embedded store, PostgreSQL and Qdrant rank the same candidates the same way.
//
// Fusion is weighted reciprocal rank fusion (Cormack et al., 2009): a candidate at 1-based rank r
// in a list contributes w/(K+r). The sum is divided by its maximum, (wDense+wLexical)/(K+1), so
// the fused relevance lies in [0, 1]: 1 means first in both lists.
package rank

// Fusion weighs the dense and lexical lists. The zero value is not useful: use Default.
type Fusion struct {
	K       float64 // RRF damping constant
	Dense   float64 // weight of the dense (vector) list
	Lexical float64 // weight of the lexical (BM25) list
}

// Default is the fusion every store uses: K = 60, as in the RRF paper and the peers that use it,
// with the lexical list weighted 1.5 against the dense one. With the built-in GloVe embedder
// lexical evidence is the stronger of the two; on the development data (bench/RESULTS.md) 1.5
// beat 1, 2 and 3 on both LoCoMo R@10 and stale-fact current@1, and dense 1.5 lost on both.
var Default = Fusion{K: 60, Dense: 1, Lexical: 1.5}

// Score fuses one candidate's 1-based ranks (0 means absent from that list) into [0, 1].
func (f Fusion) Score(denseRank, lexicalRank int) float64 {
	max := (f.Dense + f.Lexical) / (f.K + 1)
	if max <= 0 {
		return 0
	}
	var s float64
	if denseRank > 0 {
		s += f.Dense / (f.K + float64(denseRank))
	}
	if lexicalRank > 0 {
		s += f.Lexical / (f.K + float64(lexicalRank))
	}
	return s / max
}

// tieEpsilon is how close two scores must be to share a rank. Texts that differ only in words the
// embedder does not know (numbers, names, codes) get the same vector; their cosines tie, and
// ranking them apart by chance would let the dense list outvote the lexical one, which can tell
// them apart.
const tieEpsilon = 1e-6

// Ranks returns 1-based competition ranks ("1224") for scores sorted best first: scores within
// tieEpsilon of the first of their run share its rank.
func Ranks(sorted []float64) []int {
	ranks := make([]int, len(sorted))
	for i := range sorted {
		if i > 0 && sorted[i-1]-sorted[i] <= tieEpsilon && sorted[ranks[i-1]-1]-sorted[i] <= tieEpsilon {
			ranks[i] = ranks[i-1]
		} else {
			ranks[i] = i + 1
		}
	}
	return ranks
}
