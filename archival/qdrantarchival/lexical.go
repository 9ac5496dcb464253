package qdrantarchival

import (
	"hash/fnv"
	"slices"

	"github.com/memsvc/memsvc/embed"
)

// maxTerms caps the distinct terms of one lexical query, the first by position (as on the other
// stores).
const maxTerms = 64

// BM25's parameters, those of SQLite FTS5, Lucene and pgarchival.
const (
	bm25K1 = 1.2
	bm25B  = 0.75
)

// termIndex is a term's sparse index: FNV-1a 32 of its bytes. Two terms that collide share an
// index, as if they were one word; with a few thousand words per agent that is rare.
func termIndex(term string) uint32 {
	h := fnv.New32a()
	h.Write([]byte(term))
	return h.Sum32()
}

// docSparse is a passage's lexical vector: for each distinct term of text, BM25's term weight
// tf·(k1+1)/(tf + k1·(1 - b + b·dl/avgdl)), dl the passage's token count and avgdl fixed. Qdrant
// multiplies in the term's idf at query time (the IDF modifier), so a query of weight 1 per term
// scores a passage by BM25. Indices come out sorted; nil when text has no term.
func docSparse(text string, avgdl float64) ([]uint32, []float32) {
	toks := embed.Tokenize(text)
	if len(toks) == 0 {
		return nil, nil
	}
	tf := make(map[uint32]float64, len(toks))
	for _, t := range toks {
		tf[termIndex(t)]++
	}
	norm := bm25K1 * (1 - bm25B + bm25B*float64(len(toks))/avgdl)
	idx := make([]uint32, 0, len(tf))
	for i := range tf {
		idx = append(idx, i)
	}
	slices.Sort(idx)
	vals := make([]float32, len(idx))
	for j, i := range idx {
		vals[j] = float32(tf[i] * (bm25K1 + 1) / (tf[i] + norm))
	}
	return idx, vals
}

// querySparse is a query's lexical vector: its first maxTerms distinct terms, weight 1 each.
// User text is only ever tokenized, never parsed as a query language. Nil when text has no term.
func querySparse(text string) ([]uint32, []float32) {
	seen := map[uint32]bool{}
	var idx []uint32
	for _, t := range embed.Tokenize(text) {
		i := termIndex(t)
		if seen[i] {
			continue
		}
		seen[i] = true
		idx = append(idx, i)
		if len(idx) == maxTerms {
			break
		}
	}
	slices.Sort(idx)
	vals := make([]float32, len(idx))
	for j := range vals {
		vals[j] = 1
	}
	return idx, vals
}
