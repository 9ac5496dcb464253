package archival

import (
	"context"
	"errors"
)

// NeighborQuery asks for the dense neighbours of many vectors of one agent at once.
type NeighborQuery struct {
	AgentID string
	// Vectors are the query vectors; an empty one has no neighbours.
	Vectors [][]float32
	// K is as Query.K: the neighbours of a vector are among its K best hits.
	K int
	// MinDense keeps only the neighbours whose cosine (a hit's Dense, see Hit) is at least this.
	MinDense float64
}

// Neighbor is a valid passage near a query vector: what a caller needs to judge it, without the
// rest of its row.
type Neighbor struct {
	ID, Key, Text string
	Dense         float64 // cosine similarity to the query vector
}

// NeighborSearcher is implemented by stores that answer a NeighborQuery faster than one Search
// per vector (one pass over the agent's vectors for all of them, and only the columns a
// Neighbor has). Neighbors must answer exactly what SearchNeighbors answers by Search.
type NeighborSearcher interface {
	Neighbors(ctx context.Context, q NeighborQuery) ([][]Neighbor, error)
}

// SearchNeighbors returns, for each vector v of q.Vectors, the hits of
// Search(Query{AgentID: q.AgentID, Vector: v, K: q.K}) whose Dense is at least q.MinDense, in
// the same order, as Neighbors. It uses s's NeighborSearcher when s has one, else one Search per
// vector.
func SearchNeighbors(ctx context.Context, s Store, q NeighborQuery) ([][]Neighbor, error) {
	if ns, ok := s.(NeighborSearcher); ok {
		return ns.Neighbors(ctx, q)
	}
	out := make([][]Neighbor, len(q.Vectors))
	for i, v := range q.Vectors {
		if len(v) == 0 {
			continue
		}
		hits, err := s.Search(ctx, Query{AgentID: q.AgentID, Vector: v, K: q.K})
		if err != nil {
			return nil, err
		}
		out[i] = NeighborsOf(hits, q.MinDense)
	}
	return out, nil
}

// NeighborsOf returns the hits whose Dense is at least minDense, in order, as Neighbors.
func NeighborsOf(hits []Hit, minDense float64) []Neighbor {
	var out []Neighbor
	for _, h := range hits {
		if h.Dense >= minDense {
			out = append(out, Neighbor{ID: h.Passage.ID, Key: h.Passage.Key, Text: h.Passage.Text, Dense: h.Dense})
		}
	}
	return out
}

// ManyGetter is implemented by stores that read many passages of an agent at once faster than
// one Get each.
type ManyGetter interface {
	// GetMany returns the passages of agentID among ids, by id, each as Get returns it; an id
	// with no passage is absent from the map.
	GetMany(ctx context.Context, agentID string, ids []string) (map[string]Passage, error)
}

// GetMany returns the passages of agentID among ids, by id, as ManyGetter.GetMany does: through
// s's own GetMany when it has one, else one Get each.
func GetMany(ctx context.Context, s Store, agentID string, ids []string) (map[string]Passage, error) {
	if mg, ok := s.(ManyGetter); ok {
		return mg.GetMany(ctx, agentID, ids)
	}
	out := make(map[string]Passage, len(ids))
	for _, id := range ids {
		p, err := s.Get(ctx, agentID, id)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out[id] = p
	}
	return out, nil
}
