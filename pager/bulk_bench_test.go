package pager_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/memsvc/memsvc/bench"
	"github.com/memsvc/memsvc/pager"
	"github.com/memsvc/memsvc/pager/pagertest"
	"github.com/memsvc/memsvc/state"
)

// bulkTexts returns n passages of the load benchmark's corpus (bench.GenerateStale facts, as
// bench load's ladder inserts them), from seed on.
func bulkTexts(seed int64, n int) []string {
	var out []string
	for i := int64(0); len(out) < n; i++ {
		for _, s := range bench.GenerateStale(bench.StaleGenConfig{Seed: seed + i, Subjects: 200, PerAgent: 200}) {
			for _, f := range s.Facts {
				out = append(out, f.Text)
			}
		}
	}
	return out[:n]
}

// variedTexts is bulkTexts with a place phrase of ~2,500 combinations appended to each, so that
// few passages embed alike (the built-in embedder ignores the corpus's names, and bulkTexts has
// 1,119 distinct vectors in 100,000 passages).
func variedTexts(seed int64, n int) []string {
	words := strings.Fields(`river garden market station harbour bridge library museum school office
		hospital church castle forest beach island valley mountain village city airport hotel
		restaurant bakery stadium theatre cinema park square tower factory farm lake desert canyon
		meadow orchard vineyard harbor temple palace gallery studio clinic pharmacy warehouse
		workshop laboratory university college kitchen cellar attic balcony`)
	out := bulkTexts(seed, n)
	for i, t := range out {
		out[i] = strings.TrimSuffix(t, ".") + " near the " + words[i%len(words)] + " by the " + words[(i/len(words))%len(words)] + "."
	}
	return out
}

// BenchmarkInsertPassagesBatch inserts batches of 500 passages into an agent that already holds
// N passages, on the embedded store with the built-in embedder; ns/op is per batch, and
// passages/s is reported. The agent grows by b.N batches during the run.
func BenchmarkInsertPassagesBatch(b *testing.B) {
	for _, c := range []struct {
		name  string
		texts func(int64, int) []string
	}{{"", bulkTexts}, {"varied/", variedTexts}} {
		for _, n := range []int{10_000, 30_000, 100_000} {
			benchInsertBatch(b, c.name, n, c.texts)
		}
	}
}

// benchInsertBatch is one case of BenchmarkInsertPassagesBatch: n passages of texts held.
func benchInsertBatch(b *testing.B, name string, n int, texts func(int64, int) []string) {
	b.Run(fmt.Sprintf("%sheld=%d", name, n), func(b *testing.B) {
		svc, _ := pagertest.Embedded(b)
		ctx := state.WithTenant(context.Background(), state.DefaultTenant)
		no := false
		a, err := svc.CreateAgent(ctx, pager.AgentSpec{Name: "bulk", ContextWindow: 8000, ToolsInContext: &no})
		if err != nil {
			b.Fatal(err)
		}
		texts := texts(1000, n+50*500)
		batch := func(lo int) []pager.PassageInput {
			ins := make([]pager.PassageInput, 500)
			for i := range ins {
				ins[i] = pager.PassageInput{Text: texts[(lo+i)%len(texts)]}
			}
			return ins
		}
		for lo := 0; lo < n; lo += 500 {
			if _, err := svc.InsertPassages(ctx, a.ID, batch(lo)); err != nil {
				b.Fatal(err)
			}
		}
		next := n
		b.ResetTimer()
		for b.Loop() {
			if _, err := svc.InsertPassages(ctx, a.ID, batch(next)); err != nil {
				b.Fatal(err)
			}
			next += 500
		}
		b.ReportMetric(float64(500*b.N)/b.Elapsed().Seconds(), "passages/s")
	})
}
