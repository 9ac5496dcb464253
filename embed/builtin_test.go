package embed

import (
	"context"
	"errors"
	"math"
	"strings"
	"sync"
	"testing"
)

func cosine(a, b []float32) float64 {
	var dot, na, nb float64
	for i := range a {
		dot += float64(a[i]) * float64(b[i])
		na += float64(a[i]) * float64(a[i])
		nb += float64(b[i]) * float64(b[i])
	}
	if na == 0 || nb == 0 {
		return 0
	}
	return dot / math.Sqrt(na*nb)
}

func norm(v []float32) float64 {
	var s float64
	for _, f := range v {
		s += float64(f) * float64(f)
	}
	return math.Sqrt(s)
}

func isZero(v []float32) bool {
	for _, f := range v {
		if f != 0 {
			return false
		}
	}
	return true
}

func embedAll(t testing.TB, texts ...string) [][]float32 {
	t.Helper()
	vs, err := NewBuiltin().Embed(context.Background(), texts)
	if err != nil {
		t.Fatalf("Embed: %v", err)
	}
	if len(vs) != len(texts) {
		t.Fatalf("Embed returned %d vectors for %d texts", len(vs), len(texts))
	}
	return vs
}

func TestBuiltinIdentity(t *testing.T) {
	var e Embedder = NewBuiltin()
	if e.Dim() != 100 {
		t.Errorf("Dim() = %d, want 100", e.Dim())
	}
	if e.Model() != "builtin-glove6b-100d-int8" || e.Model() != BuiltinModel {
		t.Errorf("Model() = %q", e.Model())
	}
	if err := NewBuiltin().Load(); err != nil {
		t.Fatalf("Load: %v", err)
	}
	var zero Builtin // the zero value works too
	if _, err := zero.Embed(context.Background(), []string{"hello"}); err != nil {
		t.Fatalf("zero Builtin: %v", err)
	}
}

func TestBuiltinDimAndUnitNorm(t *testing.T) {
	texts := []string{
		"hello",
		"The cat sat on the mat.",
		"Alice's favourite café is on the Rue de Rivoli; she doesn't like crowds!",
		strings.Repeat("memory service for language model agents ", 500),
	}
	for i, v := range embedAll(t, texts...) {
		if len(v) != 100 || cap(v) != 100 {
			t.Errorf("text %d: len %d cap %d, want 100", i, len(v), cap(v))
		}
		if n := norm(v); math.Abs(n-1) > 1e-5 {
			t.Errorf("text %d: norm %v, want 1", i, n)
		}
	}
}

func TestBuiltinDeterministic(t *testing.T) {
	texts := []string{"the cat sat on the mat", "stock market prices fell sharply", "", "zzqx"}
	a := embedAll(t, texts...)
	b := embedAll(t, texts...)
	for i := range texts {
		for j := range a[i] {
			if a[i][j] != b[i][j] {
				t.Fatalf("text %d differs at %d: %v vs %v", i, j, a[i][j], b[i][j])
			}
		}
		// Batching must not change the result.
		single := embedAll(t, texts[i])[0]
		for j := range single {
			if single[j] != a[i][j] {
				t.Fatalf("text %d: batched and single results differ at %d", i, j)
			}
		}
	}
}

func TestBuiltinZeroVector(t *testing.T) {
	texts := []string{
		"",
		"   \t\n",
		"!!! ??? ... --- ;;;",
		"12345 2024 3.14",    // the vocabulary has no pure numbers
		"xqzvwk blorptastic", // not words
		"東京 москва",          // no non-ASCII words in the vocabulary
		"\xff\xfe\xfd",       // invalid UTF-8
	}
	for i, v := range embedAll(t, texts...) {
		if len(v) != 100 {
			t.Fatalf("text %q: len %d", texts[i], len(v))
		}
		if !isZero(v) {
			t.Errorf("text %q: want the zero vector, norm %v", texts[i], norm(v))
		}
	}
	// Unknown words next to a known one are ignored.
	a := embedAll(t, "paris xqzvwk 12345", "paris")
	if c := cosine(a[0], a[1]); c < 0.999999 {
		t.Errorf("unknown words changed the vector: cosine %v", c)
	}
}

func TestBuiltinEmptyBatch(t *testing.T) {
	for _, texts := range [][]string{nil, {}} {
		vs, err := NewBuiltin().Embed(context.Background(), texts)
		if err != nil || len(vs) != 0 {
			t.Errorf("Embed(%#v) = %v, %v; want empty, nil", texts, vs, err)
		}
	}
}

func TestBuiltinCancellation(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	vs, err := NewBuiltin().Embed(ctx, []string{"a", "b"})
	if !errors.Is(err, context.Canceled) || vs != nil {
		t.Fatalf("cancelled ctx: got %v, %v; want nil, context.Canceled", vs, err)
	}

	// Cancellation between texts: cancel while the batch is being embedded.
	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	cctx := &cancelAfter{Context: ctx, n: 3, cancel: cancel}
	texts := make([]string, 100)
	for i := range texts {
		texts[i] = "the cat sat on the mat"
	}
	vs, err = NewBuiltin().Embed(cctx, texts)
	if !errors.Is(err, context.Canceled) || vs != nil {
		t.Fatalf("cancelled mid-batch: got %d vectors, %v; want nil, context.Canceled", len(vs), err)
	}
	if cctx.calls >= len(texts) {
		t.Errorf("Embed kept going after cancellation: %d ctx checks", cctx.calls)
	}
}

// cancelAfter cancels itself on the n-th call to Err.
type cancelAfter struct {
	context.Context
	n, calls int
	cancel   func()
}

func (c *cancelAfter) Err() error {
	c.calls++
	if c.calls == c.n {
		c.cancel()
	}
	return c.Context.Err()
}

func TestBuiltinSemantics(t *testing.T) {
	tests := []struct{ anchor, near, far string }{
		{"the cat sat on the mat", "a kitten rested on the rug", "stock market prices fell sharply"},
		{"Alice lives in Paris", "Where does Alice live?", "the quarterly revenue report"},
		{"The user prefers dark mode in the editor", "which theme does the user like?", "the meeting is on tuesday"},
		{"I am allergic to peanuts", "food allergy", "my car needs new tires"},
		// Word level.
		{"paris", "berlin", "banana"},
		{"king", "queen", "carrot"},
		{"doctor", "nurse", "guitar"},
		{"happy", "glad", "concrete"},
	}
	for _, tt := range tests {
		v := embedAll(t, tt.anchor, tt.near, tt.far)
		near, far := cosine(v[0], v[1]), cosine(v[0], v[2])
		if near <= far {
			t.Errorf("cos(%q, %q) = %.3f, not > cos(%q) = %.3f", tt.anchor, tt.near, near, tt.far, far)
		}
	}
}

func TestBuiltinCaseAndPunctuationInsensitive(t *testing.T) {
	v := embedAll(t, "Alice lives in Paris.", "alice LIVES in paris", "alice, lives; in... PARIS!!!")
	for i := 1; i < len(v); i++ {
		if c := cosine(v[0], v[i]); c < 0.999999 {
			t.Errorf("variant %d: cosine %v, want 1", i, c)
		}
	}
}

func TestBuiltinStopWordsWeighLittle(t *testing.T) {
	// SIF: adding function words barely moves the vector, adding a content
	// word moves it a lot.
	v := embedAll(t, "volcano eruption", "the volcano of the eruption", "volcano eruption tax")
	if c := cosine(v[0], v[1]); c < 0.95 {
		t.Errorf("stop words moved the vector too much: cosine %.3f", c)
	}
	if c := cosine(v[0], v[2]); c > 0.95 {
		t.Errorf("a content word barely moved the vector: cosine %.3f", c)
	}
}

func TestBuiltinResultsAreIndependent(t *testing.T) {
	v := embedAll(t, "paris", "berlin")
	want := embedAll(t, "berlin")[0]
	_ = append(v[0], 42) // must not write into v[1]
	for j := range want {
		if v[1][j] != want[j] {
			t.Fatal("appending to one result changed another")
		}
	}
}

func TestBuiltinConcurrent(t *testing.T) {
	want := embedAll(t, "the quick brown fox jumps over the lazy dog")[0]
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				got, err := NewBuiltin().Embed(context.Background(), []string{"the quick brown fox jumps over the lazy dog"})
				if err != nil {
					t.Error(err)
					return
				}
				for j := range want {
					if got[0][j] != want[j] {
						t.Error("concurrent result differs")
						return
					}
				}
			}
		}()
	}
	wg.Wait()
}

func TestBuiltinHugeAndHostileInputs(t *testing.T) {
	texts := []string{
		strings.Repeat("a", 1<<20), // one 1 MiB "word"
		strings.Repeat("É", 1<<18),
		strings.Repeat("paris ", 1<<17) + strings.Repeat("x", 1000),
		strings.Repeat("\xff", 1000) + "paris" + strings.Repeat("\xc3", 1000),
		"paris\x00berlin",
		strings.Repeat("'", 100) + "n't's're",
		"\u0301\u0301paris", // leading combining marks
	}
	for i, v := range embedAll(t, texts...) {
		if n := norm(v); !isZero(v) && math.Abs(n-1) > 1e-5 {
			t.Errorf("text %d: norm %v", i, n)
		}
	}
	paris := embedAll(t, "paris")[0]
	for _, i := range []int{2, 3, 6} {
		if c := cosine(embedAll(t, texts[i])[0], paris); c < 0.9999 {
			t.Errorf("text %d: cosine with paris %v", i, c)
		}
	}
}

func TestBuiltinNilContext(t *testing.T) {
	//lint:ignore SA1012 deliberately checking that a nil ctx does not panic
	vs, err := NewBuiltin().Embed(nil, []string{"paris"})
	if err != nil || len(vs) != 1 || isZero(vs[0]) {
		t.Errorf("nil ctx: %v, %v", vs, err)
	}
}

func BenchmarkBuiltinEmbed(b *testing.B) {
	// 30 words.
	text := []string{"Alice mentioned that she moved to Paris last spring, works as a data engineer " +
		"at a small startup, and really prefers short answers with code examples over long theoretical explanations."}
	e := NewBuiltin()
	if err := e.Load(); err != nil {
		b.Fatal(err)
	}
	if n := len(Tokenize(text[0])); n != 30 {
		b.Fatalf("benchmark text has %d tokens, want 30", n)
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.Embed(ctx, text); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBuiltinLoad(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := newVocab(gloveData); err != nil {
			b.Fatal(err)
		}
	}
}

func TestBuiltinAllocsPerBatch(t *testing.T) {
	e := NewBuiltin()
	texts := make([]string, 20)
	for i := range texts {
		texts[i] = "Alice's café doesn't open before nine, but the bakery across the street does."
	}
	ctx := context.Background()
	allocs := testing.AllocsPerRun(20, func() {
		if _, err := e.Embed(ctx, texts); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 3 {
		t.Errorf("Embed of %d texts: %v allocations, want ≤ 3", len(texts), allocs)
	}
}

func TestBuiltinVocabulary(t *testing.T) {
	b := NewBuiltin()
	words, err := b.Vocabulary()
	if err != nil {
		t.Fatal(err)
	}
	if len(words) != 100_000 {
		t.Fatalf("%d words, want 100,000", len(words))
	}
	// Frequency order: "the" leads GloVe 6B's vocabulary.
	if words[0] != "the" {
		t.Errorf("first word %q, want \"the\"", words[0])
	}
	vecs := embedAll(t, words[0], words[len(words)-1])
	for i, v := range vecs {
		if isZero(v) {
			t.Errorf("word %d embeds to the zero vector", i)
		}
	}
	words[0] = "changed"
	again, err := b.Vocabulary()
	if err != nil {
		t.Fatal(err)
	}
	if again[0] != "the" {
		t.Error("Vocabulary shares its slice with the table")
	}
}
