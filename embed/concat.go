package embed

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
)

// Concat is an [Embedder] whose vectors are the weighted concatenation of
// other embedders' unit vectors: [√w₁·v₁, √w₂·v₂, …], L2-normalized. When
// every part gives a unit vector, the cosine similarity of two Concat
// vectors is Σ wᵢ·cosᵢ / Σ wᵢ, the weighted mean of the parts' cosines:
// one dense ranker that fuses several embedders at the score level, in one
// vector column of any store. A part's zero vector (no known word) drops
// that part from the mean for that text.
type Concat struct {
	parts   []Embedder
	weights []float32 // √wᵢ
	model   string
	dim     int
}

var _ Embedder = (*Concat)(nil)

// NewConcat returns the concatenation of parts with the given weights
// (positive, one per part).
func NewConcat(parts []Embedder, weights []float64) (*Concat, error) {
	if len(parts) == 0 || len(parts) != len(weights) {
		return nil, errors.New("embed: concat: want one weight per part, and at least one part")
	}
	c := &Concat{parts: parts}
	names := make([]string, len(parts))
	for i, p := range parts {
		w := weights[i]
		if !(w > 0) || math.IsInf(w, 0) {
			return nil, fmt.Errorf("embed: concat: weight %v of %s: want a positive number", w, p.Model())
		}
		c.weights = append(c.weights, float32(math.Sqrt(w)))
		c.dim += p.Dim()
		names[i] = fmt.Sprintf("%s*%g", p.Model(), w)
	}
	c.model = "concat(" + strings.Join(names, ",") + ")"
	return c, nil
}

// Dim is the sum of the parts' dimensions.
func (c *Concat) Dim() int { return c.dim }

// Model names the parts and their weights, e.g.
// "concat(builtin-glove6b-100d-int8*1,use-lite-en-0.2.0-int8*1)".
func (c *Concat) Model() string { return c.model }

// Embed embeds texts with every part and concatenates the results.
func (c *Concat) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	flat := make([]float32, len(texts)*c.dim)
	out := make([][]float32, len(texts))
	for i := range out {
		out[i] = flat[i*c.dim : (i+1)*c.dim : (i+1)*c.dim]
	}
	off := 0
	for pi, p := range c.parts {
		vecs, err := p.Embed(ctx, texts)
		if err != nil {
			return nil, err
		}
		if len(vecs) != len(texts) {
			return nil, fmt.Errorf("embed: concat: %s returned %d vectors for %d texts", p.Model(), len(vecs), len(texts))
		}
		d, w := p.Dim(), c.weights[pi]
		for i, v := range vecs {
			if len(v) != d {
				return nil, fmt.Errorf("embed: concat: %s returned a %d-d vector, want %d", p.Model(), len(v), d)
			}
			dst := out[i][off : off+d]
			for j, x := range v {
				dst[j] = w * x
			}
		}
		off += d
	}
	for _, v := range out {
		var ss float64
		for _, x := range v {
			ss += float64(x) * float64(x)
		}
		if ss == 0 || math.IsNaN(ss) || math.IsInf(ss, 0) {
			clear(v)
			continue
		}
		inv := float32(1 / math.Sqrt(ss))
		for j := range v {
			v[j] *= inv
		}
	}
	return out, nil
}
