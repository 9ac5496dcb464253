package bench

import (
	"context"
	"fmt"
	"testing"

	"github.com/memsvc/memsvc/embed"
	"github.com/memsvc/memsvc/vecindex"
)

// BenchmarkLadderNeighbours times what a bulk batch's possible-supersession check asks of the
// embedded store's vector index on the load ladder's own passages under GloVe-SIF: the
// neighbours of 500 new passages scoring at least 0.65 among their 100 nearest
// (vecindex.HNSW.SearchManyShown), or among the first 40 of those (SearchManyShownFirst, as
// memarchival asks for k = 20), in an agent of held passages searched by scans (no graph).
// ns/op is per batch of 500; it reports how many neighbours a query has (all it asks for,
// nearly always: the ladder's passages crowd together).
//
//	go test -run '^$' -bench LadderNeighbours -benchtime 10x ./bench/
func BenchmarkLadderNeighbours(b *testing.B) {
	sizes := []int{30_000, 100_000}
	if testing.Short() {
		sizes = []int{5_000}
	}
	n := sizes[len(sizes)-1] + 500
	corp := loadCorpus(1+1000, n)
	texts := make([]string, n)
	for i := range texts {
		texts[i] = ladderText(corp, i)
	}
	emb := embed.NewBuiltin()
	if err := emb.Load(); err != nil {
		b.Fatal(err)
	}
	vecs, err := emb.Embed(context.Background(), texts)
	if err != nil {
		b.Fatal(err)
	}
	for _, held := range sizes {
		b.Run(fmt.Sprintf("held=%d", held), func(b *testing.B) {
			h := vecindex.NewHNSW(emb.Dim(), vecindex.WithExactBelow(1<<30))
			for i, v := range vecs[:held] {
				h.Add("a", fmt.Sprint("p", i), v)
			}
			qs := vecs[held : held+500]
			for _, first := range []int{100, 40} {
				b.Run(fmt.Sprintf("first=%d", first), func(b *testing.B) {
					found := 0
					for b.Loop() {
						found = 0
						for _, r := range h.SearchManyShownFirst("a", qs, 100, first, 0.65, nil) {
							found += len(r)
						}
					}
					b.ReportMetric(float64(found)/500, "neighbours/query")
				})
			}
		})
	}
}
