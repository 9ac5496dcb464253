package pager

import (
	"fmt"
	"strings"
	"sync"

	"github.com/pkoukk/tiktoken-go"
	tiktokenloader "github.com/pkoukk/tiktoken-go-loader"
)

// DefaultEncoding is the BPE used when an agent's model names none that tiktoken knows.
const DefaultEncoding = "o200k_base"

// perMessageTokens is the framing every chat message costs on top of its content (role and
// separators), as OpenAI documents for its chat formats.
const perMessageTokens = 4

var setLoader sync.Once

// Tokenizers counts tokens with a real BPE (tiktoken, loaded offline from the encodings that
// tiktoken-go-loader embeds), caching one counter per encoding. Safe for concurrent use.
type Tokenizers struct {
	mu   sync.Mutex
	encs map[string]Counter
}

// NewTokenizers returns an empty cache.
func NewTokenizers() *Tokenizers {
	setLoader.Do(func() { tiktoken.SetBpeLoader(tiktokenloader.NewOfflineLoader()) })
	return &Tokenizers{encs: make(map[string]Counter)}
}

// EncodingFor names the encoding used for a model: the model's own when tiktoken knows it, an
// encoding named directly ("cl100k_base"), or DefaultEncoding.
func EncodingFor(model string) string {
	m := strings.TrimSpace(model)
	switch m {
	case "o200k_base", "cl100k_base", "p50k_base", "r50k_base":
		return m
	}
	if e, ok := tiktoken.MODEL_TO_ENCODING[m]; ok {
		return e
	}
	for prefix, e := range tiktoken.MODEL_PREFIX_TO_ENCODING {
		if strings.HasPrefix(m, prefix) {
			return e
		}
	}
	return DefaultEncoding
}

// Counter returns a token counter for the model's encoding.
func (t *Tokenizers) Counter(model string) (Counter, error) {
	name := EncodingFor(model)
	t.mu.Lock()
	defer t.mu.Unlock()
	if c, ok := t.encs[name]; ok {
		return c, nil
	}
	if next, ok := fastSplit[name]; ok {
		ranks, err := tiktokenloader.NewOfflineLoader().LoadTiktokenBpe(name + ".tiktoken")
		if err != nil {
			return Counter{}, fmt.Errorf("pager: load encoding %s: %w", name, err)
		}
		c := Counter{fast: &bpeCounter{ranks: ranks, next: next}}
		t.encs[name] = c
		return c, nil
	}
	enc, err := tiktoken.GetEncoding(name)
	if err != nil {
		return Counter{}, fmt.Errorf("pager: load encoding %s: %w", name, err)
	}
	c := Counter{enc: enc}
	t.encs[name] = c
	return c, nil
}

// fastSplit holds the pre-tokenizers of the encodings that bpeCounter counts; the others go
// through tiktoken-go.
var fastSplit = map[string]func(string, int) int{
	"o200k_base":  nextO200k,
	"cl100k_base": nextCL100k,
}

// Counter counts tokens in one encoding.
type Counter struct {
	fast *bpeCounter
	enc  *tiktoken.Tiktoken
}

// Count returns the number of BPE tokens in s. Special-token text counts as ordinary text.
func (c Counter) Count(s string) int {
	if s == "" {
		return 0
	}
	if c.fast != nil {
		return c.fast.count(s)
	}
	return len(c.enc.EncodeOrdinary(s))
}

// Message returns the tokens one chat message costs in the context.
func (c Counter) Message(role, name, content string, toolCalls []byte) int {
	n := perMessageTokens + c.Count(content)
	if name != "" {
		n += 1 + c.Count(name)
	}
	if len(toolCalls) > 0 {
		n += c.Count(string(toolCalls))
	}
	return n
}
