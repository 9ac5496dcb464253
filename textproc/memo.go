package textproc

import (
	"strings"
	"sync"
)

// Memo memoizes a function of a text that the same texts ask again and again (a word's stem,
// a memory's subject). It holds at most max texts, each at most maxLen bytes long: a full memo
// starts again empty, and a longer text is worked out each time. Safe for concurrent use.
type Memo[V any] struct {
	mu          sync.RWMutex
	m           map[string]V
	max, maxLen int
	f           func(string) V
}

// NewMemo returns a memo of f.
func NewMemo[V any](max, maxLen int, f func(string) V) *Memo[V] {
	return &Memo[V]{max: max, maxLen: maxLen, f: f}
}

// Get returns f(text), worked out once while it stays in the memo.
func (c *Memo[V]) Get(text string) V {
	if len(text) > c.maxLen {
		return c.f(text)
	}
	c.mu.RLock()
	v, ok := c.m[text]
	c.mu.RUnlock()
	if ok {
		return v
	}
	v = c.f(text)
	c.mu.Lock()
	if c.m == nil || len(c.m) >= c.max {
		c.m = make(map[string]V)
	}
	c.m[strings.Clone(text)] = v // not a slice of a larger text the memo would keep alive
	c.mu.Unlock()
	return v
}
