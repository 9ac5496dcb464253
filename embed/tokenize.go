package embed

import (
	"unicode"
	"unicode/utf8"
)

// Tokenize splits text into lowercase word tokens. It is the tokenizer used
// by [Builtin] and may be reused for lexical matching.
//
// Rules:
//   - A token is a maximal run of Unicode letters and decimal digits
//     (combining marks are kept inside a run but never start one). All
//     other characters, including punctuation, symbols, spaces, U+FFFD
//     and invalid UTF-8 bytes, separate tokens.
//   - Tokens are lowercased rune by rune with [unicode.ToLower]. No Unicode
//     normalization is applied (the GloVe vocabulary is ASCII anyway).
//   - Tokens never contain apostrophes (', U+2019, or U+02BC, which Unicode
//     classes as a letter). An apostrophe followed by an English clitic is
//     folded: "'s", "'re", "'ve", "'ll", "'d" and "'m" are dropped
//     ("alice's" -> "alice"), and "n't" becomes a separate "not" token
//     ("don't" -> "do", "not"; "can't" -> "can", "not"; "won't" -> "will",
//     "not"). Any other apostrophe just separates ("o'neill" -> "o",
//     "neill").
//
// Tokenize returns nil if text has no tokens. It never panics.
func Tokenize(text string) []string {
	var toks []string
	sc := scanner{s: text}
	for {
		tok, ok := sc.next()
		if !ok {
			return toks
		}
		toks = append(toks, string(tok))
	}
}

// scanner yields the tokens of s one at a time into a reused buffer, so a
// caller that only looks tokens up (m[string(tok)]) does not allocate.
type scanner struct {
	s       string
	i       int    // next byte of s to read
	buf     []byte // current token, lowercased
	limit   int    // if > 0, tokens longer than limit bytes are truncated and flagged long
	long    bool   // current token exceeded limit (its bytes in buf are incomplete)
	pending string // token to emit before scanning on ("not" after "n't")
}

func (sc *scanner) reset(s string) {
	sc.s, sc.i, sc.buf, sc.long, sc.pending = s, 0, sc.buf[:0], false, ""
}

// next returns the next token, valid until the following call, and false
// at the end of the text.
func (sc *scanner) next() ([]byte, bool) {
	sc.buf, sc.long = sc.buf[:0], false
	if sc.pending != "" {
		sc.buf = append(sc.buf, sc.pending...)
		sc.pending = ""
		return sc.buf, true
	}
	// Skip separators up to the first letter or digit.
	for sc.i < len(sc.s) {
		if c := sc.s[sc.i]; c < utf8.RuneSelf {
			if isASCIIWordByte(c) {
				break
			}
			sc.i++
			continue
		}
		r, size := utf8.DecodeRuneInString(sc.s[sc.i:])
		if isWordStart(r) {
			break
		}
		sc.i += size
	}
	if sc.i >= len(sc.s) {
		return nil, false
	}
	start := sc.i
	sc.i = sc.scanRun(sc.i, true)
	sc.clitic(start)
	return sc.buf, true
}

// scanRun scans the word run starting at i and returns its end. If keep is
// set, the lowercased run is appended to buf.
func (sc *scanner) scanRun(i int, keep bool) int {
	s := sc.s
	for i < len(s) {
		c := s[i]
		if c < utf8.RuneSelf {
			if !isASCIIWordByte(c) {
				return i
			}
			if keep {
				if 'A' <= c && c <= 'Z' {
					c += 'a' - 'A'
				}
				sc.add(c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if !isWordStart(r) && !unicode.IsMark(r) {
			return i // includes utf8.RuneError for invalid bytes
		}
		if keep {
			sc.addRune(unicode.ToLower(r))
		}
		i += size
	}
	return i
}

func (sc *scanner) add(c byte) {
	if sc.limit > 0 && len(sc.buf)+1 > sc.limit {
		sc.long = true
		return
	}
	sc.buf = append(sc.buf, c)
}

func (sc *scanner) addRune(r rune) {
	if sc.limit > 0 && len(sc.buf)+utf8.RuneLen(r) > sc.limit {
		sc.long = true
		return
	}
	sc.buf = utf8.AppendRune(sc.buf, r)
}

// clitic folds an English clitic following the run s[start:sc.i] (see
// Tokenize). Decisions depend only on the source text, so they are the same
// whether or not the token was truncated.
func (sc *scanner) clitic(start int) {
	s, i := sc.s, sc.i
	n := apostropheLen(s[i:])
	if n == 0 || i+n >= len(s) {
		return
	}
	if c := s[i+n]; c >= utf8.RuneSelf || !isASCIIWordByte(c) {
		return // clitics are ASCII; anything else is an ordinary separator
	}
	end := sc.scanRun(i+n, false)
	switch suffix := s[i+n : end]; {
	case equalFoldASCII(suffix, "s"), equalFoldASCII(suffix, "re"), equalFoldASCII(suffix, "ve"),
		equalFoldASCII(suffix, "ll"), equalFoldASCII(suffix, "d"), equalFoldASCII(suffix, "m"):
		sc.i = end
	case equalFoldASCII(suffix, "t") && i-start >= 2 && (s[i-1] == 'n' || s[i-1] == 'N'):
		sc.i = end
		sc.pending = "not"
		if sc.long {
			return
		}
		switch string(sc.buf) {
		case "can": // can't -> can not
		case "won": // won't -> will not
			sc.buf = append(sc.buf[:0], "will"...)
		case "shan": // shan't -> shall not
			sc.buf = append(sc.buf[:0], "shall"...)
		default: // don't -> do not
			sc.buf = sc.buf[:len(sc.buf)-1]
		}
	}
}

// isWordStart reports whether r is a letter or digit. U+02BC MODIFIER
// LETTER APOSTROPHE is a letter (Lm) to Unicode but an apostrophe here.
func isWordStart(r rune) bool {
	return (unicode.IsLetter(r) || unicode.IsDigit(r)) && r != '\u02bc'
}

func isASCIIWordByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// apostropheLen returns the byte length of the apostrophe at the start of
// s (', U+2019 or U+02BC), or 0.
func apostropheLen(s string) int {
	switch {
	case len(s) >= 1 && s[0] == '\'':
		return 1
	case len(s) >= 3 && s[:3] == "\u2019":
		return 3
	case len(s) >= 2 && s[:2] == "\u02bc":
		return 2
	}
	return 0
}

// equalFoldASCII reports whether s equals the lowercase ASCII word lower,
// ignoring ASCII case.
func equalFoldASCII(s, lower string) bool {
	if len(s) != len(lower) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}
