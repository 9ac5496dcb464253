package validity

import (
	"strings"
	"sync"
)

// judged is what validity reads off a memory's text alone: SubjectOf("", text) and
// MayCompareWhole(text). Ranking asks both of every candidate on every search, and an insert
// asks them of its nearest neighbours, so the same texts come back again and again; working
// them out (sentence splitting, names, openers) was a third of a search's CPU.
type judged struct {
	subject string
	whole   bool
}

// maxJudged bounds the texts the cache holds (a full cache starts again empty), and
// maxJudgedText the length of a text it holds (longer ones are judged each time): at most
// 16 MiB of text.
const (
	maxJudged     = 1 << 15
	maxJudgedText = 512
)

var judgedCache struct {
	mu sync.Mutex
	m  map[string]judged
}

// judge returns the judgement of text, worked out once while it stays cached.
func judge(text string) judged {
	if len(text) > maxJudgedText {
		return judgeText(text)
	}
	c := &judgedCache
	c.mu.Lock()
	j, ok := c.m[text]
	c.mu.Unlock()
	if ok {
		return j
	}
	j = judgeText(text)
	c.mu.Lock()
	if c.m == nil || len(c.m) >= maxJudged {
		c.m = make(map[string]judged)
	}
	c.m[strings.Clone(text)] = j // not a slice of a larger text the cache would keep alive
	c.mu.Unlock()
	return j
}

func judgeText(text string) judged {
	s := subjectOfText(text)
	return judged{subject: s, whole: mayCompareWhole(text, s)}
}
