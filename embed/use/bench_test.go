package use

import (
	"context"
	"strings"
	"testing"
)

// benchWords make the benchmark sentences (common words, one or two
// tokens each).
var benchWords = strings.Fields(`my sister moved to Berlin last spring and started a new job at
the hospital near the river where she works night shifts with a friend from school who
also plays the violin in a small band on weekends because music keeps them calm after
long days`)

// sentenceOf returns a text of exactly n tokens, built from benchWords
// starting at word offset off.
func sentenceOf(tb testing.TB, enc *Encoder, n, off int) string {
	tb.Helper()
	var words []string
	for i := 0; ; i++ {
		words = append(words, benchWords[(off+i)%len(benchWords)])
		ids, err := enc.Tokenize(strings.Join(words, " "))
		if err != nil {
			tb.Fatal(err)
		}
		if len(ids) == n {
			return strings.Join(words, " ")
		}
		if len(ids) > n {
			// Drop the last word and pad with one-token words.
			words = words[:len(words)-1]
			for {
				words = append(words, "a")
				ids, _ := enc.Tokenize(strings.Join(words, " "))
				if len(ids) == n {
					return strings.Join(words, " ")
				}
			}
		}
	}
}

// BenchmarkSentence40 embeds one 40-token sentence per call; run it with
// -cpu 1 for the one-core figure (ms/sentence: wall time; cpu-ms/sentence:
// the process's CPU time, which a machine shared with other work inflates
// less).
func BenchmarkSentence40(b *testing.B) { benchSentence(b, 40) }

// BenchmarkQuery10 embeds one 10-token text per call, the length of a
// search query: what the default embedder adds to a search's latency.
func BenchmarkQuery10(b *testing.B) { benchSentence(b, 10) }

func benchSentence(b *testing.B, tokens int) {
	enc := New()
	text := sentenceOf(b, enc, tokens, 0)
	ctx := context.Background()
	if _, err := enc.Embed(ctx, []string{text}); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := processCPU()
	for b.Loop() {
		if _, err := enc.Embed(ctx, []string{text}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/sentence")
	b.ReportMetric(float64((processCPU()-cpu0).Microseconds())/1000/float64(b.N), "cpu-ms/sentence")
}

// BenchmarkBatch embeds batches of 256 sentences of 20–60 tokens (40 on
// average), as an ingest does; run it with -cpu 1,2 for sentences/s on
// one and two cores.
func BenchmarkBatch(b *testing.B) {
	enc := New()
	texts := make([]string, 256)
	tokens := 0
	for i := range texts {
		n := 20 + (i*7)%41
		texts[i] = sentenceOf(b, enc, n, i)
		tokens += n
	}
	ctx := context.Background()
	if _, err := enc.Embed(ctx, texts); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := processCPU()
	for b.Loop() {
		if _, err := enc.Embed(ctx, texts); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64((processCPU()-cpu0).Microseconds())/1000/float64(len(texts)*b.N), "cpu-ms/sentence")
	sec := b.Elapsed().Seconds()
	b.ReportMetric(float64(len(texts)*b.N)/sec, "sentences/s")
	b.ReportMetric(float64(tokens)/float64(len(texts)), "tokens/sentence")
}
