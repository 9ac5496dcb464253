package pager

import (
	"context"
	"fmt"
	"sync"

	"github.com/memsvc/memsvc/validity"
)

// maxAttributeCache bounds the embeddings of key attributes a service keeps.
const maxAttributeCache = 4096

// attributeCache holds the embeddings of key attributes ("city", "favourite food"): an agent
// uses few, and every search that finds keyed passages compares them with its query.
type attributeCache struct {
	mu   sync.Mutex
	vecs map[string][]float32
}

// attributeCosines sets the AttributeCosine of every keyed candidate: the cosine between the
// query's embedding and its key's attribute's (see validity.KeyAttribute).
func (s *Service) attributeCosines(ctx context.Context, query []float32, cands []validity.Candidate) error {
	c := &s.attrs
	c.mu.Lock()
	if c.vecs == nil {
		c.vecs = map[string][]float32{}
	}
	var missing []string
	seen := map[string]bool{}
	for _, cand := range cands {
		a := validity.KeyAttribute(cand.Key)
		if a != "" && c.vecs[a] == nil && !seen[a] {
			seen[a] = true
			missing = append(missing, a)
		}
	}
	c.mu.Unlock()
	got := map[string][]float32{}
	if len(missing) > 0 {
		vecs, err := s.cfg.Embedder.Embed(ctx, missing)
		if err != nil {
			return fmt.Errorf("pager: embed key attributes: %w", err)
		}
		for i, a := range missing {
			got[a] = vecs[i]
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for a, v := range got {
		if len(c.vecs) < maxAttributeCache {
			c.vecs[a] = v
		}
	}
	for i := range cands {
		a := validity.KeyAttribute(cands[i].Key)
		if a == "" {
			continue
		}
		v := c.vecs[a]
		if v == nil {
			v = got[a]
		}
		cands[i].AttributeCosine = validity.Cosine(query, v)
	}
	return nil
}
