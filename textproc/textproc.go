// Package textproc is memsvc's one text pipeline: words, sentences, one English stemmer
// (Snowball's Porter2, from github.com/kljensen/snowball, as PostgreSQL's `english` text search
// configuration uses) and one stop-word list. Retrieval scoring (validity), compaction's
// retention check and the embedded store's lexical index all go through it, so that a word is
// the same word everywhere.
package textproc

import (
	"strings"
	"unicode"

	"github.com/kljensen/snowball/english"
)

// Words splits text into words. The inner punctuation of numbers, versions and codes (4.50,
// v18.15.0, 10:30, A-12, 2026-01-02, 1,000) is kept whole; leading and trailing punctuation is
// dropped, and so is a possessive "'s".
func Words(text string) []string {
	raw := strings.FieldsFunc(text, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && !strings.ContainsRune(".:-/'’,_", r)
	})
	out := make([]string, 0, len(raw))
	for _, w := range raw {
		w = strings.Trim(w, ".:-/'’,_")
		for _, suf := range []string{"'s", "’s"} {
			w = strings.TrimSuffix(w, suf)
		}
		if w == "" {
			continue
		}
		// A comma or colon inside a word that is not a number separates two words ("red,green").
		if !HasDigit(w) && strings.ContainsAny(w, ",:/") {
			for _, p := range strings.FieldsFunc(w, func(r rune) bool { return r == ',' || r == ':' || r == '/' }) {
				if p = strings.Trim(p, ".-'’_"); p != "" {
					out = append(out, p)
				}
			}
			continue
		}
		out = append(out, strings.TrimRight(w, ","))
	}
	return out
}

// Identifiers returns the distinct identifiers of text: words that begin with a letter and hold
// a digit (codes, versions, passwords, model names: tulip2, v18.15.0, INV-1002, X1, gpt-4o),
// which name one thing exactly and which embeddings do not tell apart. They are lowercased and
// their inner punctuation dropped, so that gpt-4o and GPT4o are one identifier. Words that begin
// with a digit are quantities, not names (5K, 10am, 1990s, 18th, 3-bedroom, 2024-05-01T10:00).
func Identifiers(text string) []string {
	var out []string
	seen := map[string]bool{}
	for _, w := range Words(text) {
		r := []rune(w)
		if len(r) == 0 || !unicode.IsLetter(r[0]) || !HasDigit(w) {
			continue
		}
		id := strings.Map(func(r rune) rune {
			if unicode.IsLetter(r) || unicode.IsDigit(r) {
				return unicode.ToLower(r)
			}
			return -1
		}, w)
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// HasDigit reports whether w holds a digit: a number, a version, a code or a date.
func HasDigit(w string) bool { return strings.IndexFunc(w, unicode.IsDigit) >= 0 }

// Stem returns the Porter2 stem of a word, lowercased; a word with a digit is returned
// lowercased as it is (numbers and codes are compared as written). Stop words are stemmed too,
// so a query and a memory always agree.
func Stem(w string) string {
	w = strings.ToLower(w)
	if HasDigit(w) || !isAlpha(w) {
		return w
	}
	return stems.Get(w)
}

// stems memoizes Stem: a text's vocabulary repeats (every search stems its query and the words of
// its candidates), and Porter2 costs about a microsecond a word. It holds 65,536 words of up to
// 32 bytes.
var stems = NewMemo(1<<16, 32, func(w string) string { return english.Stem(w, true) })

// IsWord reports whether w is a word: letters, with a hyphen or an apostrophe inside allowed
// ("mid-size", "don't"); not a number, a code or punctuation.
func IsWord(w string) bool { return w != "" && isAlpha(w) }

func isAlpha(w string) bool {
	for _, r := range w {
		if !unicode.IsLetter(r) && r != '\'' && r != '’' && r != '-' {
			return false
		}
	}
	return true
}

// Compound returns the stem of the noun a verb and its particle make ("backed up" → "backup",
// "set up" → "setup", "rolled out" → "rollout", "shut down" → "shutdown"), or "" when next is
// no particle (up, out, down, off; not "in", which follows "lives" far more often than it makes
// "login") or w no word: "When does the backup run?" and "The
// vault is backed up every night" say the same thing in words that share no stem. An irregular
// verb makes no such noun ("took over" → "tookov"), which matches nothing and costs nothing.
func Compound(w, next string) string {
	if !particles[strings.ToLower(next)] || HasDigit(w) || !isAlpha(w) || IsStop(w) {
		return ""
	}
	return Stem(Stem(w) + strings.ToLower(next))
}

var particles = setOf(`up out down off`)

// IsStop reports whether w (any case) is a function word that carries no content. Negations
// ("not", "never", "no") are not stop words: they change what a sentence says.
func IsStop(w string) bool { return stopWords[strings.ToLower(w)] }

// Terms returns the content words of text as stems, in order, with repeats: every word that is
// not a stop word, stemmed.
func Terms(text string) []string {
	var out []string
	for _, w := range Words(text) {
		if !IsStop(w) {
			out = append(out, Stem(w))
		}
	}
	return out
}

// IsNegation reports whether w negates what its sentence says.
func IsNegation(w string) bool {
	w = strings.ToLower(strings.ReplaceAll(w, "’", "'"))
	return negations[w] || strings.HasSuffix(w, "n't")
}

var negations = setOf(`not no never none nothing nobody neither nor cannot without`)

// Sentences splits text into sentences: at a line break, and after ".", "!" or "?" followed by
// a space and not inside a number or a version ("costs 4.50", "v2.6.0" stay whole). Each is
// trimmed; empty ones are dropped.
func Sentences(text string) []string {
	var out []string
	var b strings.Builder
	flush := func() {
		if s := strings.TrimSpace(b.String()); s != "" {
			out = append(out, s)
		}
		b.Reset()
	}
	rs := []rune(text)
	for i, r := range rs {
		if r == '\n' {
			flush()
			continue
		}
		b.WriteRune(r)
		if (r == '.' || r == '!' || r == '?') && (i+1 == len(rs) || unicode.IsSpace(rs[i+1])) && !abbreviation(b.String()) {
			flush()
		}
	}
	flush()
	return out
}

// abbreviation reports whether s ends in a common abbreviation whose period does not end a
// sentence ("e.g.", "Dr.", "vs.").
func abbreviation(s string) bool {
	f := strings.Fields(s)
	if len(f) == 0 {
		return false
	}
	return abbreviations[strings.ToLower(f[len(f)-1])]
}

var abbreviations = setOf(`e.g. i.e. etc. vs. dr. mr. mrs. ms. prof. st. no. approx. ca. cf.`)

func setOf(words string) map[string]bool {
	m := make(map[string]bool)
	for _, w := range strings.Fields(words) {
		m[w] = true
	}
	return m
}

// stopWords is the one stop-word list: English function words (articles, pronouns, auxiliaries,
// prepositions, conjunctions, question words), contractions of pronouns and auxiliaries, and
// conversational fillers.
var stopWords = setOf(`a about above after again against all also although always am an and another any anyone
anything are around as at be because been before being below between both but by can could
did do does doing done down during each either else enough even ever every everything few for
from further had has have having he her here hers herself him himself his how however i if in
into is it its itself just let like many may maybe me might more most much must my myself now
of off often on once only or other ought our ours ourselves out over own perhaps please quite
rather really same shall she should since so some someone something such than that the their
theirs them themselves then there these they thing things this those though through thus to
together too under until up upon us very was we were what whatever when whenever where whereas
wherever whether which while who whom whose why will with within would yes yet you your yours
yourself yourselves
i'm i've i'd i'll you're you've you'd you'll he's she's it's we're we've we'd we'll they're
they've they'd they'll that's there's what's let's
hey hi hello oh ok okay thanks thank sure wow well yeah`)
