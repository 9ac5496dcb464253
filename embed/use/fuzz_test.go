package use

import (
	"context"
	"math"
	"testing"
)

// FuzzEncode checks that any input, valid UTF-8 or not, tokenizes to ids
// of real pieces (no reserved id but 0) and embeds to a finite vector of
// norm 1, or 0 when it has no token.
func FuzzEncode(f *testing.F) {
	for _, s := range []string{"", " ", "I moved to Berlin.", "\xff\xfe", "🎉🎉", "a\tb\nc", "ﬁ½\u00a0x", "\u2581\u2581"} {
		f.Add(s)
	}
	enc := New()
	if err := enc.Load(); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ids, err := enc.Tokenize(s)
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range ids {
			if id < 0 || id >= 8000 || (id > 0 && id < reservedPieces) {
				t.Fatalf("%q: id %d", s, id)
			}
		}
		v, err := enc.Embed(context.Background(), []string{s})
		if err != nil {
			t.Fatal(err)
		}
		var ss float64
		for _, x := range v[0] {
			if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
				t.Fatalf("%q: non-finite", s)
			}
			ss += float64(x) * float64(x)
		}
		if want := 1.0; len(ids) == 0 && ss != 0 || len(ids) > 0 && math.Abs(ss-want) > 1e-4 {
			t.Fatalf("%q (%d ids): squared norm %v", s, len(ids), ss)
		}
	})
}
