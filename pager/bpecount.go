package pager

import (
	"math"
	"unicode"
	"unicode/utf8"
)

// bpeCounter counts the tokens of one tiktoken encoding (o200k_base or cl100k_base) exactly as
// tiktoken-go's EncodeOrdinary would, at a fraction of its cost. tiktoken-go pre-splits text with
// a backtracking regular expression (regexp2), which was about a fifth of an append's CPU; here
// the same pre-tokens are found by a scanner written from the published patterns, and the byte
// pair merge of tiktoken-go is followed step for step, counting instead of collecting ids. The
// ranks come from the same offline files. TestBPECounterMatchesTiktoken holds the two equal, piece
// by piece, against regexp2 and the library on generated text that mixes every character class
// the patterns name.
type bpeCounter struct {
	ranks map[string]int
	next  func(s string, i int) int // the end of the pre-token that starts at i
}

// count returns the number of tokens in s.
func (b *bpeCounter) count(s string) int {
	if !utf8.ValidString(s) {
		s = string([]rune(s)) // as tiktoken-go does: each invalid byte becomes U+FFFD
	}
	n := 0
	for i := 0; i < len(s); {
		e := b.next(s, i)
		if _, ok := b.ranks[s[i:e]]; ok {
			n++
		} else {
			n += mergeCount(s[i:e], b.ranks)
		}
		i = e
	}
	return n
}

type bpePart struct{ start, rank int }

// mergeCount is tiktoken's byte pair merge of one pre-token, returning how many tokens it ends
// as. Ties go to the leftmost pair, as in tiktoken-go.
func mergeCount(piece string, ranks map[string]int) int {
	if len(piece) < 2 {
		return len(piece)
	}
	var buf [48]bpePart
	parts := buf[:0]
	if len(piece)+1 > len(buf) {
		parts = make([]bpePart, 0, len(piece)+1)
	}
	for i := 0; i <= len(piece); i++ {
		parts = append(parts, bpePart{i, math.MaxInt})
	}
	for i := 0; i < len(parts)-2; i++ {
		parts[i].rank = pairRank(piece, ranks, parts, i, 0)
	}
	for len(parts) > 1 {
		minRank, at := math.MaxInt, -1
		for i := 0; i < len(parts)-1; i++ {
			if parts[i].rank < minRank {
				minRank, at = parts[i].rank, i
			}
		}
		if at < 0 {
			break
		}
		parts[at].rank = pairRank(piece, ranks, parts, at, 1)
		if at > 0 {
			parts[at-1].rank = pairRank(piece, ranks, parts, at-1, 1)
		}
		parts = append(parts[:at+1], parts[at+2:]...)
	}
	return len(parts) - 1
}

// pairRank is the rank of the bytes from part i to part i+skip+2, or MaxInt when they are not
// one token.
func pairRank(piece string, ranks map[string]int, parts []bpePart, i, skip int) int {
	if i+skip+2 < len(parts) {
		if r, ok := ranks[piece[parts[i].start:parts[i+skip+2].start]]; ok {
			return r
		}
	}
	return math.MaxInt
}

// The character classes of the patterns, as regexp2 reads them (Go's Unicode tables; \s is
// unicode.IsSpace).

func runeAt(s string, i int) (rune, int) {
	if c := s[i]; c < utf8.RuneSelf {
		return rune(c), 1
	}
	return utf8.DecodeRuneInString(s[i:])
}

func isLetter(r rune) bool {
	if r < utf8.RuneSelf {
		return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z'
	}
	return unicode.IsLetter(r)
}

func isNumber(r rune) bool {
	if r < utf8.RuneSelf {
		return '0' <= r && r <= '9'
	}
	return unicode.IsNumber(r)
}

func isMark(r rune) bool { return r >= 0x300 && unicode.IsMark(r) }

// isUpperish is [\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]: every letter but Ll, and marks.
func isUpperish(r rune) bool {
	if r < utf8.RuneSelf {
		return 'A' <= r && r <= 'Z'
	}
	return unicode.IsLetter(r) && !unicode.IsLower(r) || isMark(r)
}

// isLowerish is [\p{Ll}\p{Lm}\p{Lo}\p{M}]: every letter but Lu and Lt, and marks.
func isLowerish(r rune) bool {
	if r < utf8.RuneSelf {
		return 'a' <= r && r <= 'z'
	}
	return unicode.IsLetter(r) && !unicode.IsUpper(r) && !unicode.IsTitle(r) || isMark(r)
}

// isPrefix is [^\r\n\p{L}\p{N}].
func isPrefix(r rune) bool { return r != '\r' && r != '\n' && !isLetter(r) && !isNumber(r) }

// isPunct is [^\s\p{L}\p{N}].
func isPunct(r rune) bool { return !unicode.IsSpace(r) && !isLetter(r) && !isNumber(r) }

// scan returns the end of the run of runes from i that satisfy in.
func scan(s string, i int, in func(rune) bool) int {
	for i < len(s) {
		r, n := runeAt(s, i)
		if !in(r) {
			break
		}
		i += n
	}
	return i
}

// contraction is (?i:'s|'t|'re|'ve|'m|'ll|'d): the end after one at i, or i.
func contraction(s string, i int) int {
	if i+1 >= len(s) || s[i] != '\'' {
		return i
	}
	switch s[i+1] | 0x20 {
	case 's', 't', 'm', 'd':
		return i + 2
	}
	if i+2 < len(s) {
		a, b := s[i+1]|0x20, s[i+2]|0x20
		if a == 'r' && b == 'e' || a == 'v' && b == 'e' || a == 'l' && b == 'l' {
			return i + 3
		}
	}
	return i
}

// spaceRun ends the alternatives every pattern shares, \s*[\r\n]+|\s+(?!\S)|\s+, for a space
// at i: up to the last line break of the run when it holds one; else the whole run when it ends
// the text; else all but its last space (which then leads the next pre-token), when that leaves
// one.
func spaceRun(s string, i int) int {
	end, lastBreak, lastStart := i, -1, i
	for end < len(s) {
		r, n := runeAt(s, end)
		if !unicode.IsSpace(r) {
			break
		}
		if r == '\r' || r == '\n' {
			lastBreak = end + 1
		}
		lastStart = end
		end += n
	}
	switch {
	case lastBreak > 0:
		return lastBreak
	case end == len(s) || lastStart == i:
		return end
	default:
		return lastStart
	}
}

// nextO200k ends the o200k_base pre-token at i:
//
//	[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?
//	|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?
//	|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+
func nextO200k(s string, i int) int {
	r, n := runeAt(s, i)
	prefix := isPrefix(r)
	if prefix {
		if e := o200kCased(s, i+n); e > 0 {
			return e
		}
	}
	if e := o200kCased(s, i); e > 0 {
		return e
	}
	if prefix {
		if e := o200kCapital(s, i+n); e > 0 {
			return e
		}
	}
	if e := o200kCapital(s, i); e > 0 {
		return e
	}
	return numberPunctSpace(s, i, r, n, true)
}

// o200kCased is the first alternative after its prefix: upper-ish letters, then at least one
// lower-ish one (giving back upper-ish ones that are also lower-ish when it must). 0 if none.
func o200kCased(s string, j int) int {
	k, lastLower := j, 0
	for k < len(s) {
		r, n := runeAt(s, k)
		if !isUpperish(r) {
			break
		}
		if isLowerish(r) {
			lastLower = k + n
		}
		k += n
	}
	if k < len(s) {
		if r, _ := runeAt(s, k); isLowerish(r) {
			return contraction(s, scan(s, k, isLowerish))
		}
	}
	if lastLower > 0 {
		return contraction(s, lastLower)
	}
	return 0
}

// o200kCapital is the second alternative after its prefix: at least one upper-ish letter, then
// lower-ish ones. 0 if none.
func o200kCapital(s string, j int) int {
	k := scan(s, j, isUpperish)
	if k == j {
		return 0
	}
	return contraction(s, scan(s, k, isLowerish))
}

// numberPunctSpace ends the alternatives after the letters: \p{N}{1,3}, then a run of
// punctuation with an optional leading space and trailing line breaks (and slashes, for
// o200k), then the space alternatives.
func numberPunctSpace(s string, i int, r rune, n int, slash bool) int {
	if isNumber(r) {
		e := i + n
		for d := 1; d < 3 && e < len(s); d++ {
			r2, n2 := runeAt(s, e)
			if !isNumber(r2) {
				break
			}
			e += n2
		}
		return e
	}
	j := i
	if r == ' ' && i+1 < len(s) {
		if r2, _ := runeAt(s, i+1); isPunct(r2) {
			j = i + 1
		}
	}
	if r2, _ := runeAt(s, j); isPunct(r2) {
		e := scan(s, j, isPunct)
		for e < len(s) && (s[e] == '\r' || s[e] == '\n' || slash && s[e] == '/') {
			e++
		}
		return e
	}
	if unicode.IsSpace(r) {
		return spaceRun(s, i)
	}
	return i + n // unreachable: every rune is a letter, mark, number, space or punctuation
}

// nextCL100k ends the cl100k_base pre-token at i:
//
//	(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
func nextCL100k(s string, i int) int {
	if e := contraction(s, i); e > i {
		return e
	}
	r, n := runeAt(s, i)
	if isPrefix(r) && i+n < len(s) {
		if r2, _ := runeAt(s, i+n); isLetter(r2) {
			return scan(s, i+n, isLetter)
		}
	}
	if isLetter(r) {
		return scan(s, i, isLetter)
	}
	return numberPunctSpace(s, i, r, n, false)
}
