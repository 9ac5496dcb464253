package sqlitedb

import (
	"encoding/binary"
	"fmt"
	"math"
	"strings"
	"unicode"
)

// EncodeVector stores a vector as little-endian float32 bytes.
func EncodeVector(v []float32) []byte {
	b := make([]byte, 4*len(v))
	for i, f := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(f))
	}
	return b
}

// DecodeVector reads what EncodeVector wrote.
func DecodeVector(b []byte) ([]float32, error) {
	if len(b)%4 != 0 {
		return nil, fmt.Errorf("sqlitedb: vector blob of %d bytes is not a multiple of 4", len(b))
	}
	v := make([]float32, len(b)/4)
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return v, nil
}

// maxMatchTerms bounds the terms of one FTS5 query.
const maxMatchTerms = 64

// MatchQuery turns free text into a safe FTS5 MATCH expression: its words, each quoted as a
// string (so no user text is read as FTS5 syntax), joined by OR, so BM25 ranks by the terms
// that occur. It returns "" when the text has no words.
func MatchQuery(text string) string {
	words := strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
	seen := make(map[string]bool, len(words))
	var terms []string
	for _, w := range words {
		if seen[w] || len(terms) == maxMatchTerms {
			continue
		}
		seen[w] = true
		terms = append(terms, `"`+w+`"`)
	}
	return strings.Join(terms, " OR ")
}
