package embed

import (
	"crypto/sha256"
	"encoding/hex"
	"math"
	"os"
	"regexp"
	"strings"
	"testing"
)

func TestGloveFileHeader(t *testing.T) {
	if got := gloveData[:8]; got != gloveMagic {
		t.Fatalf("magic %q", got)
	}
	if v, n, d := le32(gloveData, 8), le32(gloveData, 12), le32(gloveData, 16); v != 1 || n != 100000 || d != 100 {
		t.Fatalf("header: version %d, count %d, dim %d; want 1, 100000, 100", v, n, d)
	}
	f, err := parseGloveFile(gloveData)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.words) != 100000 || f.dim != 100 || len(f.vectors) != 100000*100 {
		t.Fatalf("parsed %d words, dim %d, %d values", len(f.words), f.dim, len(f.vectors))
	}
	if f.words[0] != "the" {
		t.Errorf("rank 1 is %q, want \"the\"", f.words[0])
	}
	for i, s := range f.scales {
		if !(s > 0) {
			t.Fatalf("word %q: scale %v", f.words[i], s)
		}
	}
}

func TestGloveFileChecksum(t *testing.T) {
	sum := sha256.Sum256([]byte(gloveData))
	if got := hex.EncodeToString(sum[:]); got != gloveSHA256 {
		t.Fatalf("sha256(glove100k.bin) = %s, gloveSHA256 = %s", got, gloveSHA256)
	}
	prov, err := os.ReadFile("PROVENANCE.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?m)^- glove100k\\.bin sha256: `([0-9a-f]{64})`").FindSubmatch(prov)
	if m == nil {
		t.Fatal("PROVENANCE.md: no \"- glove100k.bin sha256: `...`\" line")
	}
	if string(m[1]) != gloveSHA256 {
		t.Fatalf("PROVENANCE.md records %s, embedded file is %s", m[1], gloveSHA256)
	}
}

// Every vocabulary word must be reachable: Tokenize(word) == [word].
func TestVocabularyIsTokenizable(t *testing.T) {
	v, err := loadVocab()
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range v.words {
		if toks := Tokenize(w); len(toks) != 1 || toks[0] != w {
			t.Fatalf("Tokenize(%q) = %q", w, toks)
		}
	}
}

// The file is in descending frequency order (spot checks).
func TestVocabularyFrequencyOrder(t *testing.T) {
	v, err := loadVocab()
	if err != nil {
		t.Fatal(err)
	}
	chains := [][]string{
		{"the", "of", "house", "cathedral", "kitten"},
		{"and", "people", "music", "guitar", "ukulele"},
		{"said", "city", "paris", "berlin", "lyon"},
	}
	for _, c := range chains {
		prev := int32(-1)
		for _, w := range c {
			r, ok := v.index[w]
			if !ok {
				t.Fatalf("%q not in vocabulary", w)
			}
			if r <= prev {
				t.Errorf("%q has rank %d, not after %q", w, r+1, c)
			}
			prev = r
		}
	}
	// Zipf's law of abbreviation: frequent words are shorter.
	meanLen := func(ws []string) float64 {
		n := 0
		for _, w := range ws {
			n += len(w)
		}
		return float64(n) / float64(len(ws))
	}
	if head, tail := meanLen(v.words[:1000]), meanLen(v.words[len(v.words)-1000:]); head >= tail {
		t.Errorf("mean word length: top 1000 %.2f, bottom 1000 %.2f", head, tail)
	}
}

func TestParseGloveFileRejectsCorruption(t *testing.T) {
	valid := buildGloveFile([]string{"ab", "c"}, []float32{1, 0.5}, []int8{1, -2, 3, 127, -127, 0}, 3)
	f, err := parseGloveFile(valid)
	if err != nil {
		t.Fatalf("valid file: %v", err)
	}
	if strings.Join(f.words, ",") != "ab,c" || f.dim != 3 || f.scales[1] != 0.5 || f.vectors[3] != 127 || f.vectors[4] != -127 {
		t.Fatalf("parsed %+v", f)
	}

	corrupt := map[string]string{
		"empty":       "",
		"short":       valid[:10],
		"magic":       "X" + valid[1:],
		"version":     valid[:8] + "\x02" + valid[9:],
		"truncated":   valid[:len(valid)-1],
		"trailing":    valid + "\x00",
		"zero count":  valid[:12] + "\x00\x00\x00\x00" + valid[16:],
		"zero length": valid[:24] + "\x00" + valid[25:],
		"word length": valid[:24] + "\x09" + valid[25:],
		"nan scale":   buildGloveFile([]string{"a"}, []float32{float32(math.NaN())}, []int8{1}, 1),
		"neg scale":   buildGloveFile([]string{"a"}, []float32{-1}, []int8{1}, 1),
		"bad utf8":    buildGloveFile([]string{"\xff"}, []float32{1}, []int8{1}, 1),
		"huge count":  valid[:12] + "\xff\xff\xff\xff" + valid[16:],
	}
	for name, data := range corrupt {
		if _, err := parseGloveFile(data); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if _, err := newVocab(buildGloveFile([]string{"a", "a"}, []float32{1, 1}, make([]int8, 200), 100)); err == nil {
		t.Error("duplicate words: no error")
	}
	if _, err := newVocab(valid); err == nil {
		t.Error("dim 3: no error from newVocab")
	}
}

// buildGloveFile writes the format of glovefile.go (independently of
// internal/gloveconv, as a cross-check of the documented layout).
func buildGloveFile(words []string, scales []float32, vectors []int8, dim int) string {
	var b strings.Builder
	u32 := func(x uint32) { b.Write([]byte{byte(x), byte(x >> 8), byte(x >> 16), byte(x >> 24)}) }
	wordBytes := 0
	for _, w := range words {
		wordBytes += 1 + len(w)
	}
	b.WriteString(gloveMagic)
	u32(1)
	u32(uint32(len(words)))
	u32(uint32(dim))
	u32(uint32(wordBytes))
	for _, w := range words {
		b.WriteByte(byte(len(w)))
		b.WriteString(w)
	}
	for _, s := range scales {
		u32(math.Float32bits(s))
	}
	for _, q := range vectors {
		b.WriteByte(byte(q))
	}
	return b.String()
}
