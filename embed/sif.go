package embed

// Smooth inverse frequency (SIF) weighting, after Arora, Liang & Ma, "A
// Simple but Tough-to-Beat Baseline for Sentence Embeddings" (ICLR 2017):
// a word w contributes with weight a / (a + p(w)), so frequent function
// words ("the", "of") count little and rare content words count almost 1.
//
// The vocabulary file stores ranks, not counts, so p(w) is estimated from
// the word's frequency rank r (1 = most frequent) with the Zipf–Mandelbrot
// law p(r) ∝ 1/(r + k), normalized over the vocabulary. k = 2.7 is
// Mandelbrot's classic fit for English; it flattens the head so the very
// top words are not over-weighted relative to each other. The resulting
// weights are, for example, ≈0.04 for rank 1 ("the"), ≈0.5 for rank 100,
// ≈0.9 for rank 1,000 and ≈0.99 for rank 10,000.
const (
	sifA  = 1e-3 // SIF smoothing parameter a
	zipfK = 2.7  // Zipf–Mandelbrot rank offset k
)

// sifWeights returns the SIF weight of each of n rank-ordered words.
func sifWeights(n int) []float32 {
	var h float64 // normalizer: Σ_{r=1..n} 1/(r+k)
	for r := n; r >= 1; r-- {
		h += 1 / (float64(r) + zipfK)
	}
	w := make([]float32, n)
	for i := range w {
		p := 1 / ((float64(i+1) + zipfK) * h)
		w[i] = float32(sifA / (sifA + p))
	}
	return w
}
