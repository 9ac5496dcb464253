package memarchival

import (
	"strings"
	"unicode"
)

// maxTerms caps the words of one lexical query; later words are dropped.
const maxTerms = 64

// ftsQuery turns free text into an FTS5 query that matches passages containing any of its words:
// each word is a quoted string, joined by OR. User text is never parsed as FTS5 syntax (column
// filters, NEAR, prefix *, boolean operators, quotes are all plain separators or quoted words).
// It returns "" when the text has no words.
func ftsQuery(text string) string {
	words := strings.FieldsFunc(text, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsNumber(r) && !unicode.Is(unicode.Mn, r)
	})
	seen := make(map[string]bool, len(words))
	var b strings.Builder
	n := 0
	for _, w := range words {
		w = strings.ToLower(w)
		if seen[w] {
			continue
		}
		seen[w] = true
		if n > 0 {
			b.WriteString(" OR ")
		}
		// A word holds no quote, but doubling keeps the string literal safe regardless.
		b.WriteString(`"` + strings.ReplaceAll(w, `"`, `""`) + `"`)
		if n++; n == maxTerms {
			break
		}
	}
	return b.String()
}
