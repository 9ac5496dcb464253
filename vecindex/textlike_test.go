package vecindex

import (
	"math"
	"math/rand/v2"
)

// textLike generates vectors shaped like sentence embeddings whose cosines crowd together (as
// GloVe-SIF's do): a direction every vector shares, a topic, a subtopic within the topic, and
// isotropic noise that dominates. Among 20k vectors of dimension 100, a query's median cosine is
// about 0.68, its 10th nearest neighbour about 0.80, its 100th 0.77 and its 1000th 0.74: a hard
// case for a graph index, since the noise leaves the vectors little low-dimensional structure.
type textLike struct {
	dim       int
	rng       *rand.Rand
	mean      []float32
	topics    [][]float32
	subtopics [][]float32 // subtopics[t*perTopic+s]
	perTopic  int
}

const (
	tlMean, tlTopic, tlSub, tlNoise = 1.0, 0.3, 0.2, 0.6
)

func newTextLike(dim int, seed uint64) *textLike {
	g := &textLike{dim: dim, rng: rand.New(rand.NewPCG(seed, 7)), perTopic: 20}
	g.mean = g.unit()
	for range 64 {
		g.topics = append(g.topics, g.unit())
		for range g.perTopic {
			g.subtopics = append(g.subtopics, g.unit())
		}
	}
	return g
}

// unit returns a random unit vector.
func (g *textLike) unit() []float32 {
	v := make([]float32, g.dim)
	var s float64
	for i := range v {
		x := g.rng.NormFloat64()
		v[i] = float32(x)
		s += x * x
	}
	inv := float32(1 / math.Sqrt(s))
	for i := range v {
		v[i] *= inv
	}
	return v
}

// next returns one vector (not normalized).
func (g *textLike) next() []float32 {
	t := g.rng.IntN(len(g.topics))
	s := t*g.perTopic + g.rng.IntN(g.perTopic)
	noise := g.unit()
	v := make([]float32, g.dim)
	for i := range v {
		v[i] = tlMean*g.mean[i] + tlTopic*g.topics[t][i] + tlSub*g.subtopics[s][i] + tlNoise*noise[i]
	}
	return v
}
