package use

import (
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// maxTokens is where the model clips its input (ClipToMaxLength).
const maxTokens = 128

// reservedPieces are ids 0–5 (unknown, <s>, </s>, three extra tokens):
// never matched. Id 0 is also what an unknown character becomes.
const reservedPieces = 6

// separator replaces spaces and starts every non-empty text.
const separator = '\u2581'

// tokenizer is the segmentation of the npm package's JavaScript
// tokenizer (@energetic-ai/embeddings 0.2.0, from tfjs-models'
// universal-sentence-encoder): not the SentencePiece library but a
// Viterbi search over the vocabulary's scores on a trie, reproduced
// literally, quirks included:
//
//   - the text is NFKC-normalized, "▁" is put in front and every ASCII
//     space becomes "▁" (tabs and newlines are kept, and have no piece);
//   - at each position every vocabulary piece that starts there is a
//     candidate; where none does, the one character becomes id 0 with
//     score 0;
//   - a position's best score of exactly 0 counts as "not yet reached",
//     and on equal scores the later candidate (a later start) wins;
//   - a run of id-0 tokens becomes one.
type tokenizer struct {
	nodes  []trieNode
	pieceN []int // length of each piece in runes (id 0: 1), at least 1
}

type trieNode struct {
	children map[rune]int32 // rune -> node index
	end      bool
	score    float64
	id       int32
}

func newTokenizer(pieces []piece) *tokenizer {
	t := &tokenizer{nodes: []trieNode{{}}, pieceN: make([]int, len(pieces))}
	for i, p := range pieces {
		t.pieceN[i] = max(1, utf8.RuneCountInString(p.text))
		if i < reservedPieces {
			continue
		}
		n := int32(0)
		for _, r := range p.text {
			next, ok := t.nodes[n].children[r]
			if !ok {
				if t.nodes[n].children == nil {
					t.nodes[n].children = make(map[rune]int32)
				}
				next = int32(len(t.nodes))
				t.nodes[n].children[r] = next
				t.nodes = append(t.nodes, trieNode{})
			}
			n = next
		}
		if n != 0 {
			// A later duplicate overwrites an earlier one, as in the trie
			// of the JavaScript tokenizer.
			t.nodes[n].end, t.nodes[n].score, t.nodes[n].id = true, p.score, int32(i)
		}
	}
	// The JavaScript backtrack steps back by the UTF-16 length of the
	// piece; it equals the rune count for every piece of this vocabulary
	// (none holds a character outside the BMP), and for id 0 ("\ufffd")
	// it is 1, the length of the unknown character it stands for.
	if len(t.pieceN) > 0 {
		t.pieceN[0] = 1
	}
	return t
}

// tokState is the reusable scratch of one encode.
type tokState struct {
	runes []rune
	best  []float64
	words []int32
	ids   []int32
}

// prepare returns the symbols the JavaScript tokenizer walks over.
func prepare(text string, dst []rune) []rune {
	if !utf8.ValidString(text) {
		text = strings.ToValidUTF8(text, "\ufffd")
	}
	text = norm.NFKC.String(text)
	dst = dst[:0]
	if text == "" {
		return dst
	}
	dst = append(dst, separator)
	for _, r := range text {
		if r == ' ' {
			r = separator
		}
		dst = append(dst, r)
	}
	return dst
}

// encode appends the ids of text to st.ids[:0] and returns them (all of
// them: the model clips to maxTokens).
func (t *tokenizer) encode(text string, st *tokState) []int32 {
	st.runes = prepare(text, st.runes)
	s := st.runes
	n := len(s)
	st.best = grow(st.best, n+1)
	st.words = grow(st.words, n+1)
	best, words := st.best, st.words
	for i := 0; i < n; i++ {
		// commonPrefixSearch: every piece that starts at i, shortest first.
		found := false
		node, ok := t.nodes[0].children[s[i]]
		for k := i; ok; {
			nd := &t.nodes[node]
			if nd.end {
				found = true
				t.relax(best, words, i, k+1, nd.score, nd.id)
			}
			k++
			if k >= n {
				break
			}
			node, ok = nd.children[s[k]]
		}
		if !found {
			t.relax(best, words, i, i+1, 0, 0)
		}
	}
	ids := st.ids[:0]
	for end := n; end > 0; {
		id := words[end]
		ids = append(ids, id)
		end -= t.pieceN[id]
	}
	// Merge runs of id 0 and reverse.
	out := ids[:0]
	prevUnk := false
	for _, id := range ids {
		if !(prevUnk && id == 0) {
			out = append(out, id)
		}
		prevUnk = id == 0
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	st.ids = out
	return out
}

// relax offers the piece id over [start, end) to position end. Starts are
// offered in increasing order, as the JavaScript loop visits them.
func (t *tokenizer) relax(best []float64, words []int32, start, end int, score float64, id int32) {
	sc := score + best[start]
	if best[end] == 0 || sc >= best[end] {
		best[end] = sc
		words[end] = id
	}
}

// grow returns s resized to n zeroed elements, reusing its array.
func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	s = s[:n]
	clear(s)
	return s
}
