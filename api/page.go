package api

import "github.com/memsvc/memsvc/pager"

// Page sizes of the lists paged in the API rather than in a store.
const (
	defaultPageSize = 100
	maxPageSize     = 1000
)

// pageAfter returns the page of items that follows the item whose key is cursor ("" for the
// first page), at most limit (0: the default), and the next cursor ("" on the last page). It
// serves append-only lists whose items keep their key and place (summaries, passage events), so a
// cursor stays valid while writes go on: new items only ever join the end.
func pageAfter[T any](items []T, limit int, cursor string, key func(T) string) ([]T, string, error) {
	if limit == 0 {
		limit = defaultPageSize
	}
	if limit > maxPageSize {
		return nil, "", fail(pager.ErrInvalidArgument, "limit must be at most %d, got %d", maxPageSize, limit)
	}
	start := 0
	if cursor != "" {
		start = -1
		for i, it := range items {
			if key(it) == cursor {
				start = i + 1
				break
			}
		}
		if start < 0 {
			return nil, "", fail(pager.ErrInvalidArgument, "cursor %q is not valid; pass the next_cursor of the previous page", cursor)
		}
	}
	end := min(start+limit, len(items))
	page := items[start:end]
	if end == len(items) || len(page) == 0 {
		return page, "", nil
	}
	return page, key(page[len(page)-1]), nil
}
