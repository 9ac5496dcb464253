// Package vecindex is memsvc's in-process vector index: per-agent sets of vectors searched by
// cosine similarity. Two implementations: Exact, a brute-force scan over L2-normalized vectors
// (AVX2 dot products on amd64), and HNSW, a per-agent approximate graph index over float16
// vectors that scans them all below a size threshold and where a scan would be as cheap (see
// HNSW). The embedded store uses HNSW; Exact, float32 throughout, is the reference its recall
// tests and benchmarks compare with (its exactness tests compare with an exact search over the
// same float16 vectors).
//
// Contract, for every Index:
//   - Vectors are grouped by agent; a search never sees another agent's vectors.
//   - Add copies the vector (HNSW: normalized and rounded to float16) and replaces any vector
//     already stored under that id.
//   - Scores are cosine similarities in [-1, 1] (HNSW: within 1e-3, see half.go); a zero vector
//     (stored or queried) scores 0.
//   - Search returns at most k results, best first; equal scores are ordered by id ascending.
//   - The index is safe for concurrent use. It holds no durable state: its owner rebuilds it from
//     the rows it keeps elsewhere.
package vecindex

// Index is a per-agent in-memory vector index: Exact or HNSW.
type Index interface {
	// Add stores vec under (agentID, id), replacing an existing id.
	Add(agentID, id string, vec []float32)
	// Remove deletes one id of agentID; removing an absent id does nothing.
	Remove(agentID, id string)
	// RemoveAgent deletes every vector of agentID.
	RemoveAgent(agentID string)
	// Search returns up to k ids of agentID by cosine similarity, best first, among those for
	// which keep(id) is true (keep may be nil). keep runs while the index is read-locked, so it
	// must not call back into the index; it may be skipped for ids that could not make the top k.
	Search(agentID string, query []float32, k int, keep func(id string) bool) []Result
	// Len returns how many vectors agentID has.
	Len(agentID string) int
}

// Result is one search hit.
type Result struct {
	ID    string
	Score float64 // cosine similarity, in [-1, 1]
}
