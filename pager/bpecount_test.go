package pager

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/dlclark/regexp2"
	"github.com/pkoukk/tiktoken-go"
)

// The pre-tokenizer patterns as tiktoken-go compiles them (OpenAI's published patterns).
var tiktokenPatterns = map[string]string{
	"o200k_base": strings.Join([]string{
		`[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?`,
		`[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?`,
		`\p{N}{1,3}`,
		` ?[^\s\p{L}\p{N}]+[\r\n/]*`,
		`\s*[\r\n]+`,
		`\s+(?!\S)`,
		`\s+`,
	}, "|"),
	"cl100k_base": `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`,
}

// bpeAlphabet holds runes of every class the patterns distinguish, and the corner cases of
// their case-insensitive contractions: ASCII, Latin-1 spaces, marks (Mn, Mc, Me), title case,
// modifier and other letters, numbers that are not digits, emoji and joiners.
var bpeAlphabet = []string{
	"a", "e", "s", "t", "d", "l", "m", "r", "v", "z", "A", "S", "T", "D", "L", "M", "R", "V", "E", "Z",
	"0", "7", "9", "'", "'", "'s", "'S", "'ll", "'LL", "'Re", "'ve", "'d", "'t", "'m",
	" ", " ", " ", "  ", "\t", "\n", "\r", "\r\n", "\v", "\f", "\u0085", "\u00a0", "\u2028", "\u3000",
	".", ",", "!", "?", "/", "//", "\\", "-", "_", "(", ")", "\"", "#", "$", "€", "…", "“", "”",
	"\u0301", "\u0903", "\u20dd", "\u01c5", "\u02b0", "\u00aa", "\u05d0", "\u4e2d", "\u6587", "\u3042",
	"\u2160", "\u00b2", "\u0660", "\u00bd", "😀", "👍🏽", "\u200d", "\u200b", "\ufeff",
	"ſ", "K", "İ", "ß", "é", "É", "ǅ", "Ω", "ω", "Ж", "ж", "ı", "ﬁ",
}

func randomText(r *rand.Rand) string {
	var b strings.Builder
	for n := r.IntN(24); n > 0; n-- {
		b.WriteString(bpeAlphabet[r.IntN(len(bpeAlphabet))])
	}
	return b.String()
}

var bpeSentences = []string{
	"",
	"Message 17: we talked about the garden, the weather on Tuesday, and the trip to Lisbon next month.",
	"I'm sure they'll say we've done it; she'd've said so. DON'T SHOUT'S",
	"Alice moved to Berlin in 2023 (from Paris), and her phone is +49 30 1234 5678.",
	"  leading spaces, trailing spaces   ",
	"line one\nline two\r\n\r\n\tindented\n\n\n",
	"https://example.com/path/to/page?q=1&x=2 // a comment /* and */",
	"naïve café résumé Zürich straße ÉCOLE",
	"日本語のテキストと中文文本，还有한국어 텍스트。",
	"emoji 😀👍🏽 and joiners 👩‍👩‍👧 with ZWJ",
	"v18.15.0 gpt-4o 3.14159 1,000,000 12345678901234567890",
	"func main() {\n\tfmt.Println(\"hi\")\n}\n",
	strings.Repeat("=", 200) + strings.Repeat("ab", 100),
	"\xff\xfe invalid bytes \xc3 here",
}

// TestBPECounterMatchesTiktoken holds the scanner to regexp2's matches piece by piece, and the
// counts to tiktoken-go's EncodeOrdinary, for both encodings it serves.
func TestBPECounterMatchesTiktoken(t *testing.T) {
	tk := NewTokenizers()
	for name, pattern := range tiktokenPatterns {
		re := regexp2.MustCompile(pattern, regexp2.None)
		ref, err := tiktoken.GetEncoding(name)
		if err != nil {
			t.Fatal(err)
		}
		c, err := tk.Counter(name)
		if err != nil {
			t.Fatal(err)
		}
		if c.fast == nil {
			t.Fatalf("%s: not counted by the scanner", name)
		}
		texts := append([]string(nil), bpeSentences...)
		r := rand.New(rand.NewPCG(1, 2))
		for range 4000 {
			texts = append(texts, randomText(r))
		}
		for _, s := range texts {
			if want, got := regexpPieces(re, s), scannerPieces(c.fast, s); !equalStrings(want, got) {
				t.Fatalf("%s: %q splits as %q, regexp2 as %q", name, s, got, want)
			}
			if want, got := len(ref.EncodeOrdinary(s)), c.Count(s); want != got {
				t.Fatalf("%s: %q counts %d tokens, tiktoken-go %d", name, s, got, want)
			}
		}
	}
}

// FuzzBPECount compares the counter with tiktoken-go on any input, in o200k_base.
func FuzzBPECount(f *testing.F) {
	for _, s := range bpeSentences {
		f.Add(s)
	}
	c, err := NewTokenizers().Counter("o200k_base") // NewTokenizers also points tiktoken-go at the offline files
	if err != nil {
		f.Fatal(err)
	}
	ref, err := tiktoken.GetEncoding("o200k_base")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if want, got := len(ref.EncodeOrdinary(s)), c.Count(s); want != got {
			t.Fatalf("%q counts %d tokens, tiktoken-go %d", s, got, want)
		}
	})
}

func regexpPieces(re *regexp2.Regexp, s string) []string {
	rs := []rune(s)
	var out []string
	m, _ := re.FindStringMatch(s)
	for m != nil {
		out = append(out, string(rs[m.Index:m.Index+m.Length]))
		m, _ = re.FindNextMatch(m)
	}
	return out
}

func scannerPieces(b *bpeCounter, s string) []string {
	s = string([]rune(s))
	var out []string
	for i := 0; i < len(s); {
		e := b.next(s, i)
		out = append(out, s[i:e])
		i = e
	}
	return out
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func BenchmarkCount(b *testing.B) {
	c, err := NewTokenizers().Counter("")
	if err != nil {
		b.Fatal(err)
	}
	s := bpeSentences[1]
	b.ReportAllocs()
	for b.Loop() {
		c.Count(s)
	}
}

// BenchmarkCountTiktokenGo is the same count through tiktoken-go's EncodeOrdinary (regexp2's
// pre-split), which Count replaced.
func BenchmarkCountTiktokenGo(b *testing.B) {
	NewTokenizers() // points tiktoken-go at the offline files
	enc, err := tiktoken.GetEncoding(DefaultEncoding)
	if err != nil {
		b.Fatal(err)
	}
	s := bpeSentences[1]
	b.ReportAllocs()
	for b.Loop() {
		enc.EncodeOrdinary(s)
	}
}
