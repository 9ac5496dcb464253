package ollama

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/memsvc/memsvc/pager"
	"github.com/memsvc/memsvc/state"
)

func newTestSummarizer(t *testing.T, cfg Config) *Summarizer {
	t.Helper()
	s, err := NewSummarizer(cfg)
	if err != nil {
		t.Fatalf("NewSummarizer: %v", err)
	}
	return s
}

// words counts tokens as words, for tests.
func words(s string) int { return len(strings.Fields(s)) }

func span() []state.Message {
	return []state.Message{
		{Role: "user", Content: "Hi there, I am planning a trip."},
		{Role: "user", Content: "My   passport number is\nX1234567.", Pinned: true},
		{Role: "system", Name: "memsvc", Content: "Memory pressure: 80% of the context is used."},
		{Role: "assistant", Content: "Noted. Where to?"},
	}
}

func TestSummarizerRequest(t *testing.T) {
	f := newFake(t)
	cfg := f.config()
	cfg.Options = map[string]any{"num_ctx": 8192, "temperature": 0.5}
	s := newTestSummarizer(t, cfg)
	f.setReply("The user plans a trip. My passport number is X1234567.")
	text, usage, err := s.SummarizeMetered(context.Background(), pager.SummaryInput{
		Previous:  "The user likes trains.\n[pinned] user: I am allergic to peanuts.",
		Messages:  span(),
		MaxTokens: 100, Count: words,
	})
	if err != nil {
		t.Fatalf("SummarizeMetered: %v", err)
	}
	if usage != (Usage{TokensIn: 42, TokensOut: 7}) {
		t.Errorf("usage %+v", usage)
	}
	// The model kept the new pinned fact (reworded prefix, same text) but dropped the old one.
	want := "The user plans a trip. My passport number is X1234567.\n[pinned] user: I am allergic to peanuts."
	if text != want {
		t.Errorf("summary %q, want %q", text, want)
	}
	if len(f.chatCalls()) != 1 {
		t.Fatalf("%d chat calls", len(f.chatCalls()))
	}
	c := f.chatCalls()[0]
	if c.Model != "fake-model" || len(c.Messages) != 2 || c.Messages[0].Role != "system" || c.Messages[1].Role != "user" {
		t.Fatalf("request %+v", c)
	}
	if c.Options["num_predict"] != float64(100) || c.Options["temperature"] != 0.5 || c.Options["num_ctx"] != float64(8192) {
		t.Errorf("options %v", c.Options)
	}
	sys, user := c.Messages[0].Content, c.Messages[1].Content
	for _, s := range []string{`"[pinned] "`, "exactly as written", "at most 100 tokens"} {
		if !strings.Contains(sys, s) {
			t.Errorf("system prompt lacks %q", s)
		}
	}
	for _, s := range []string{
		"<previous_summary>\nThe user likes trains.\n[pinned] user: I am allergic to peanuts.\n</previous_summary>",
		"user: Hi there, I am planning a trip.\n[pinned] user: My passport number is X1234567.\nassistant: Noted. Where to?\n</new_messages>",
	} {
		if !strings.Contains(user, s) {
			t.Errorf("user prompt lacks %q:\n%s", s, user)
		}
	}
	if strings.Contains(user, "Memory pressure") {
		t.Error("the pager's own warning reached the prompt")
	}
}

func TestSummarizerRestoresPinned(t *testing.T) {
	f := newFake(t)
	s := newTestSummarizer(t, f.config())
	f.setReply("<think>hmm</think>\nA trip is planned.")
	text, err := s.Summarize(context.Background(), pager.SummaryInput{Messages: span(), MaxTokens: 100, Count: words})
	if err != nil {
		t.Fatal(err)
	}
	if want := "A trip is planned.\n[pinned] user: My passport number is X1234567."; text != want {
		t.Errorf("summary %q, want %q", text, want)
	}
}

func TestSummarizerMaxTokens(t *testing.T) {
	f := newFake(t)
	s := newTestSummarizer(t, f.config())
	f.setReply(strings.Repeat("blah ", 50) + "\nmore")
	text, err := s.Summarize(context.Background(), pager.SummaryInput{Messages: span(), MaxTokens: 20, Count: words})
	if err != nil {
		t.Fatal(err)
	}
	if words(text) > 20 {
		t.Errorf("summary has %d tokens, want ≤ 20: %q", words(text), text)
	}
	if !strings.HasSuffix(text, "\n[pinned] user: My passport number is X1234567.") || !strings.HasPrefix(text, "blah blah") {
		t.Errorf("summary %q: want the prose cut, the pinned line kept", text)
	}
	// Pinned lines alone over the budget: they are all kept (the pager truncates).
	text, err = s.Summarize(context.Background(), pager.SummaryInput{Messages: span(), MaxTokens: 3, Count: words})
	if err != nil || text != "[pinned] user: My passport number is X1234567." {
		t.Errorf("summary %q, %v", text, err)
	}
	// No Count: about four bytes a token.
	text, err = s.Summarize(context.Background(), pager.SummaryInput{Messages: span(), MaxTokens: 30})
	if err != nil || approxTokens(text) > 30 || !strings.Contains(text, "X1234567") {
		t.Errorf("summary %q (%d tokens), %v", text, approxTokens(text), err)
	}
}

func TestSummarizerMustKeep(t *testing.T) {
	f := newFake(t)
	s := newTestSummarizer(t, f.config())
	f.setReply("Trip planned; passport X1234567 noted.")
	text, err := s.Summarize(context.Background(), pager.SummaryInput{Messages: span(), MaxTokens: 100, Count: words,
		MustKeep: []string{"X1234567", "Lisbon"}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(f.chatCalls()[0].Messages[1].Content, "state each one verbatim:\n- X1234567\n- Lisbon\n") {
		t.Errorf("prompt lacks the facts to keep:\n%s", f.chatCalls()[0].Messages[1].Content)
	}
	// The model kept X1234567 but not the pinned message itself, nor Lisbon: both are appended.
	want := "Trip planned; passport X1234567 noted.\n[pinned] user: My passport number is X1234567.\nLisbon"
	if text != want {
		t.Errorf("summary %q, want %q", text, want)
	}
}

func TestSummarizerNothingToFold(t *testing.T) {
	f := newFake(t)
	s := newTestSummarizer(t, f.config())
	in := pager.SummaryInput{Previous: "old summary", MaxTokens: 100, Count: words,
		Messages: []state.Message{{Role: "user", Content: "  "}, {Role: "system", Name: "memsvc", Content: "pressure"}}}
	text, usage, err := s.SummarizeMetered(context.Background(), in)
	if err != nil || text != "old summary" || usage != (Usage{}) || f.hits.Load() != 0 {
		t.Errorf("got %q %+v %v after %d calls", text, usage, err, f.hits.Load())
	}
}

func TestSummarizerErrors(t *testing.T) {
	f := newFake(t)
	f.setFail(notFound)
	s := newTestSummarizer(t, f.config())
	if err := s.Probe(context.Background()); !errors.Is(err, ErrModelNotFound) || !strings.Contains(err.Error(), "ollama pull fake-model") {
		t.Errorf("Probe: %v", err)
	}
	if _, err := s.Summarize(context.Background(), pager.SummaryInput{Messages: span(), MaxTokens: 10, Count: words}); !errors.Is(err, ErrModelNotFound) {
		t.Errorf("Summarize: %v", err)
	}
	f.setFail(nil)
	if err := s.Probe(context.Background()); err != nil {
		t.Errorf("Probe: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Summarize(ctx, pager.SummaryInput{Messages: span()}); err != context.Canceled {
		t.Errorf("cancelled: %v", err)
	}
}

func TestCleanOutput(t *testing.T) {
	for in, want := range map[string]string{
		"<think>x</think> A\x00b\x1bc\xff\n\td\ufffd ": "Abc\n\td",
		"plain":   "plain",
		"<think>": "<think>",
	} {
		if got := cleanOutput(in); got != want {
			t.Errorf("cleanOutput(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestTruncateText(t *testing.T) {
	for _, c := range []struct {
		in   string
		max  int
		want string
	}{
		{"a b c", 5, "a b c"},
		{"a b\nc d", 3, "a b\nc"},
		{"  a  b ", 1, "  a"},
		{"abc", 0, ""},
		{"", 3, ""},
	} {
		if got := truncateText(c.in, c.max, words); got != c.want {
			t.Errorf("truncateText(%q, %d) = %q, want %q", c.in, c.max, got, c.want)
		}
	}
}
