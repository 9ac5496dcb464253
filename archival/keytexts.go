package archival

import (
	"context"
	"slices"
)

// KeyTexter is implemented by stores that read the texts of every passage stored under some
// keys of one agent, whatever their status: the values a slot has had. Scoring reads them to
// learn what a key is about when the key does not say ("k17"): the words of its earlier values
// ("Alice lives in Paris") describe the current one ("Alice moved to Berlin"). memarchival,
// pgarchival and qdrantarchival implement it.
type KeyTexter interface {
	// KeyTexts returns, by key, the texts of the newest perKey passages (by ValidFrom, then ID)
	// of agentID stored under each of keys, of every status, oldest first; a key with no
	// passage is absent. keys holds no duplicates.
	KeyTexts(ctx context.Context, agentID string, keys []string, perKey int) (map[string][]string, error)
}

// KeyTextsPerKey is how many of a key's values scoring reads: a key rewritten daily for years
// says what it is about in its recent values as well as in all of them.
const KeyTextsPerKey = 16

// KeyTexts returns what s's KeyTexter returns for the distinct keys among keys, at most
// KeyTextsPerKey texts each, or nil when s has none: the slot's earlier values are then
// unknown, and scoring goes by each passage's own text and key.
func KeyTexts(ctx context.Context, s Store, agentID string, keys []string) (map[string][]string, error) {
	kt, ok := s.(KeyTexter)
	if !ok || len(keys) == 0 {
		return nil, nil
	}
	return kt.KeyTexts(ctx, agentID, slices.Compact(slices.Sorted(slices.Values(keys))), KeyTextsPerKey)
}
