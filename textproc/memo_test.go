package textproc

import "testing"

// TestMemo: a text is worked out once while it stays in the memo; a full memo starts again
// empty, and a text longer than maxLen is worked out each time.
func TestMemo(t *testing.T) {
	calls := map[string]int{}
	m := NewMemo(2, 5, func(s string) int { calls[s]++; return len(s) })
	for _, s := range []string{"a", "bb", "a", "bb", "toolong", "toolong"} {
		if got := m.Get(s); got != len(s) {
			t.Fatalf("Get(%q) = %d", s, got)
		}
	}
	if calls["a"] != 1 || calls["bb"] != 1 || calls["toolong"] != 2 {
		t.Fatalf("calls %v", calls)
	}
	m.Get("ccc") // the memo was full: it starts again with ccc alone
	m.Get("a")
	if calls["a"] != 2 || calls["ccc"] != 1 {
		t.Fatalf("after the memo filled: calls %v", calls)
	}
}
