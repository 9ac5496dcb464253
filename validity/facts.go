package validity

import (
	"strings"

	"github.com/memsvc/memsvc/textproc"
)

// Facts returns the facts of a text, in order of first mention, without repeats: its numbers (any
// word with a digit: a number, a version, a code or a date, as written), its names (Entities) and
// its key terms (words of four letters or more that are not function words). Words are given as
// textproc stems them (Porter2), so that "allergic to peanuts" keeps "peanut". Compaction's
// retention check and the built-in summarizer's salience both count them.
func Facts(text string) []string {
	var out []string
	seen := map[string]bool{}
	add := func(f string) {
		if f != "" && !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	for _, w := range textproc.Words(text) {
		switch {
		case textproc.HasDigit(w):
			add(NumberForm(w))
		case len([]rune(w)) >= 4 && !textproc.IsStop(w):
			add(textproc.Stem(w))
		}
	}
	for _, e := range Entities(text) {
		add(textproc.Stem(e))
	}
	return out
}

// NumberForm is how Facts and Vocabulary write a word with a digit: as written, without the
// punctuation around it.
func NumberForm(w string) string { return strings.Trim(w, ".,:;-/") }

// Vocabulary is the set of fact forms a text holds: its numbers as NumberForm writes them and its
// words stemmed. A fact of Facts(a) is in Vocabulary(b) when b states it too.
func Vocabulary(text string) map[string]bool {
	v := map[string]bool{}
	for _, w := range textproc.Words(text) {
		if textproc.HasDigit(w) {
			v[NumberForm(w)] = true
			continue
		}
		v[textproc.Stem(w)] = true
	}
	return v
}
