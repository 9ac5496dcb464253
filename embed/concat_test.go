package embed

import (
	"context"
	"math"
	"testing"
)

// fixed is a test embedder with given vectors per text.
type fixed struct {
	name string
	dim  int
	vecs map[string][]float32
}

func (f fixed) Dim() int      { return f.dim }
func (f fixed) Model() string { return f.name }
func (f fixed) Embed(_ context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, len(texts))
	for i, t := range texts {
		out[i] = append([]float32(nil), f.vecs[t]...)
		if out[i] == nil {
			out[i] = make([]float32, f.dim)
		}
	}
	return out, nil
}

func cos(a, b []float32) float64 {
	var ab, aa, bb float64
	for i := range a {
		ab += float64(a[i]) * float64(b[i])
		aa += float64(a[i]) * float64(a[i])
		bb += float64(b[i]) * float64(b[i])
	}
	return ab / math.Sqrt(aa*bb)
}

// TestConcatWeightedMeanOfCosines checks the property Concat exists for:
// the cosine of two concatenations is the weighted mean of the parts'
// cosines.
func TestConcatWeightedMeanOfCosines(t *testing.T) {
	s := float32(math.Sqrt(0.5))
	a := fixed{"a", 2, map[string][]float32{"x": {1, 0}, "y": {s, s}}}
	b := fixed{"b", 3, map[string][]float32{"x": {0, 1, 0}, "y": {0, 0, 1}}}
	c, err := NewConcat([]Embedder{a, b}, []float64{3, 1})
	if err != nil {
		t.Fatal(err)
	}
	if c.Dim() != 5 || c.Model() != "concat(a*3,b*1)" {
		t.Fatalf("Dim %d Model %q", c.Dim(), c.Model())
	}
	v, err := c.Embed(context.Background(), []string{"x", "y", "none"})
	if err != nil {
		t.Fatal(err)
	}
	want := (3*cos(a.vecs["x"], a.vecs["y"]) + 1*cos(b.vecs["x"], b.vecs["y"])) / 4
	if got := cos(v[0], v[1]); math.Abs(got-want) > 1e-6 {
		t.Errorf("cosine %v, want the weighted mean %v", got, want)
	}
	for _, x := range v[2] {
		if x != 0 {
			t.Fatalf("no part has the text: want the zero vector, got %v", v[2])
		}
	}
	if _, err := NewConcat([]Embedder{a}, []float64{0}); err == nil {
		t.Error("weight 0: no error")
	}
	if _, err := NewConcat(nil, nil); err == nil {
		t.Error("no parts: no error")
	}
}
