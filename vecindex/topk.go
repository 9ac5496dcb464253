package vecindex

import (
	"math"
	"sort"
)

// topK keeps the k best results seen so far in a min-heap whose root is the worst kept result.
type topK struct {
	k int
	h []Result
}

func newTopK(k int) *topK { return &topK{k: k, h: make([]Result, 0, k)} }

// worse reports whether a ranks below b: lower score, or equal score and larger id.
func worse(a, b Result) bool {
	if a.Score != b.Score {
		return a.Score < b.Score
	}
	return a.ID > b.ID
}

// bestFirst orders results best first, as worse defines (for slices.SortFunc).
func bestFirst(x, y Result) int {
	if worse(y, x) {
		return -1
	}
	if worse(x, y) {
		return 1
	}
	return 0
}

// full reports whether the heap holds k results.
func (t *topK) full() bool { return len(t.h) == t.k }

// floor is the score below which no result enters the heap now: the worst kept score once the
// heap is full, -Inf before (+Inf for a heap of none). A result scoring exactly floor may still
// enter (ties go by id).
func (t *topK) floor() float64 {
	switch {
	case len(t.h) < t.k:
		return math.Inf(-1)
	case t.k == 0:
		return math.Inf(1)
	}
	return t.h[0].Score
}

// admits reports whether a result with this score and id would enter the heap now.
func (t *topK) admits(score float64, id string) bool {
	return len(t.h) < t.k || worse(t.h[0], Result{ID: id, Score: score})
}

// push adds r, evicting the worst result when full. Call it only when admits is true.
func (t *topK) push(r Result) {
	if len(t.h) < t.k {
		t.h = append(t.h, r)
		t.up(len(t.h) - 1)
		return
	}
	t.h[0] = r
	t.down(0)
}

func (t *topK) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !worse(t.h[i], t.h[p]) {
			return
		}
		t.h[i], t.h[p] = t.h[p], t.h[i]
		i = p
	}
}

func (t *topK) down(i int) {
	n := len(t.h)
	for {
		w, l, r := i, 2*i+1, 2*i+2
		if l < n && worse(t.h[l], t.h[w]) {
			w = l
		}
		if r < n && worse(t.h[r], t.h[w]) {
			w = r
		}
		if w == i {
			return
		}
		t.h[i], t.h[w] = t.h[w], t.h[i]
		i = w
	}
}

// sorted returns the kept results best first.
func (t *topK) sorted() []Result {
	sort.Slice(t.h, func(i, j int) bool { return worse(t.h[j], t.h[i]) })
	return t.h
}
