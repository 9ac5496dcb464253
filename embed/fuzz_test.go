package embed

import (
	"context"
	"math"
	"strings"
	"testing"
)

func FuzzEmbed(f *testing.F) {
	for _, s := range []string{
		"", "the cat sat on the mat", "Alice's café isn't open", "\xff\xfe", "n't", "'s'",
		"東京 Москва", "cafe\u0301", strings.Repeat("z", 300), "PARIS\x00berlin", "\u0301\u0301",
	} {
		f.Add(s)
	}
	e := NewBuiltin()
	v, err := loadVocab()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, text string) {
		vs, err := e.Embed(context.Background(), []string{text, text})
		if err != nil {
			t.Fatal(err)
		}
		if len(vs) != 2 || len(vs[0]) != 100 {
			t.Fatalf("shape %d×%d", len(vs), len(vs[0]))
		}
		known := false
		for _, tok := range Tokenize(text) {
			if strings.ContainsAny(tok, "'\u2019\u02bc") || tok == "" {
				t.Fatalf("bad token %q", tok)
			}
			if _, ok := v.index[tok]; ok {
				known = true
			}
		}
		var ss float64
		for j, x := range vs[0] {
			if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
				t.Fatalf("component %d = %v", j, x)
			}
			if x != vs[1][j] {
				t.Fatal("same text, different vectors")
			}
			ss += float64(x) * float64(x)
		}
		switch {
		case !known && ss != 0:
			t.Fatalf("no known words but norm² %v", ss)
		case known && math.Abs(math.Sqrt(ss)-1) > 1e-5:
			t.Fatalf("known words but norm %v", math.Sqrt(ss))
		}
	})
}
