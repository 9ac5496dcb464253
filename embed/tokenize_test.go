package embed

import (
	"slices"
	"strings"
	"testing"
)

func TestTokenize(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"  ,.;!? ", nil},
		{"Hello, World!", []string{"hello", "world"}},
		{"The cat sat on the mat.", []string{"the", "cat", "sat", "on", "the", "mat"}},
		{"covid19 3.14 2024-01-05", []string{"covid19", "3", "14", "2024", "01", "05"}},
		{"e-mail state_of_the_art", []string{"e", "mail", "state", "of", "the", "art"}},
		// Unicode letters, lowercasing, combining marks.
		{"CAFÉ Ñandú ÜBER", []string{"café", "ñandú", "über"}},
		{"東京 Москва Αθήνα", []string{"東京", "москва", "αθήνα"}},
		{"cafe\u0301 \u0301x", []string{"cafe\u0301", "x"}},
		// Clitics.
		{"Alice's cat", []string{"alice", "cat"}},
		{"ALICE'S", []string{"alice"}},
		{"they're we've I'll she'd I'm", []string{"they", "we", "i", "she", "i"}},
		{"don't DOESN'T isn’t", []string{"do", "not", "does", "not", "is", "not"}},
		{"can't won't shan't", []string{"can", "not", "will", "not", "shall", "not"}},
		{"o'neill rock'n'roll l'homme", []string{"o", "neill", "rock", "n", "roll", "l", "homme"}},
		{"'quoted' the dogs' bowls", []string{"quoted", "the", "dogs", "bowls"}},
		{"n't 't x'", []string{"n", "t", "t", "x"}},
		{"it's'", []string{"it"}},
		{"donʼt 0ʼ ʼx", []string{"do", "not", "0", "x"}},
		{"café's", []string{"café"}},
		// Invalid UTF-8 and U+FFFD separate tokens.
		{"ab\xffcd\uFFFDef", []string{"ab", "cd", "ef"}},
		{"\xc3", nil},
	}
	for _, tt := range tests {
		if got := Tokenize(tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("Tokenize(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestTokenizeHuge(t *testing.T) {
	long := strings.Repeat("Ab", 1<<19)
	got := Tokenize(long + " x")
	if len(got) != 2 || got[0] != strings.ToLower(long) || got[1] != "x" {
		t.Fatalf("huge token mangled: %d tokens", len(got))
	}
}

// The length-limited scanner used by Embed agrees with Tokenize on every
// token that fits, and flags longer ones.
func TestScannerLimit(t *testing.T) {
	text := "short " + strings.Repeat("x", 300) + " won't Ñandú " + strings.Repeat("é", 20) + "n't"
	sc := scanner{limit: 8}
	sc.reset(text)
	var got []string
	for {
		tok, ok := sc.next()
		if !ok {
			break
		}
		if sc.long {
			if len(tok) > 8 {
				t.Errorf("long token buffer grew to %d bytes", len(tok))
			}
			got = append(got, "<long>")
			continue
		}
		got = append(got, string(tok))
	}
	want := []string{"short", "<long>", "will", "not", "ñandú", "<long>", "not"}
	if !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

func BenchmarkTokenize(b *testing.B) {
	text := "Alice mentioned that she moved to Paris last spring, works as a data engineer " +
		"at a small startup, and really prefers short answers with code examples over long theoretical explanations."
	b.ReportAllocs()
	for b.Loop() {
		Tokenize(text)
	}
}
