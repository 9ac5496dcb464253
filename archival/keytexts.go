package archival

import "context"

// KeyTexter is implemented by stores that read the texts of every passage stored under some
// keys of one agent, whatever their status: the values a slot has had. Scoring reads them to
// learn what a key is about when the key does not say ("k17"): the words of its earlier values
// ("Alice lives in Paris") describe the current one ("Alice moved to Berlin"). memarchival,
// pgarchival and qdrantarchival implement it.
type KeyTexter interface {
	// KeyTexts returns, by key, the texts of the passages of agentID stored under each of keys,
	// of every status, oldest ValidFrom first (ties by ID); a key with no passage is absent.
	KeyTexts(ctx context.Context, agentID string, keys []string) (map[string][]string, error)
}

// KeyTexts returns what s's KeyTexter returns, or nil when s has none: the slot's earlier
// values are then unknown, and scoring goes by each passage's own text and key.
func KeyTexts(ctx context.Context, s Store, agentID string, keys []string) (map[string][]string, error) {
	kt, ok := s.(KeyTexter)
	if !ok || len(keys) == 0 {
		return nil, nil
	}
	return kt.KeyTexts(ctx, agentID, keys)
}
