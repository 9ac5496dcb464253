package pager

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/memsvc/memsvc/state"
	"github.com/memsvc/memsvc/validity"
)

// Recall search applies the scorer's evidence to messages: of two that state one thing with a
// changed value the newer comes first, and two that contradict each other are both shown, each
// naming the other (the search before the scorer marked none).
func TestRecallOrdersUpdatesAndMarksContradictions(t *testing.T) {
	ctx := state.WithTenant(context.Background(), state.DefaultTenant)
	svc, _, now := newTestService(t)
	a := createAgent(t, svc, MaxContextWindow)
	ids := map[string]string{}
	for _, text := range []string{
		"Our staging database runs PostgreSQL 13, the staging database version we picked.",
		"I have never deployed anything with Kubernetes.",
		"Let us talk about the garden.",
		"Our staging database runs PostgreSQL 16.",
		"I deployed the billing API with Kubernetes yesterday.",
	} {
		*now = now.Add(24 * time.Hour)
		r, err := svc.Append(ctx, a.ID, []MessageInput{{Role: "user", Content: text}})
		if err != nil {
			t.Fatal(err)
		}
		ids[text[:12]] = r.Messages[len(r.Messages)-1].ID
	}
	if _, err := svc.EmbedPending(ctx); err != nil {
		t.Fatal(err)
	}
	hits, err := svc.SearchRecall(ctx, a.ID, RecallQuery{Query: "Which version does our staging database run?", K: 5})
	if err != nil {
		t.Fatal(err)
	}
	rank := func(id string) int {
		return slices.IndexFunc(hits, func(h RecallHit) bool { return h.Message.ID == id })
	}
	old, cur := rank(ids["Our staging "]), -1
	for _, h := range hits {
		if h.Message.Content == "Our staging database runs PostgreSQL 16." {
			cur = rank(h.Message.ID)
		}
	}
	if cur < 0 || old < 0 || cur > old {
		t.Fatalf("the newer version at %d, the older at %d: %+v", cur, old, hits)
	}
	hits, err = svc.SearchRecall(ctx, a.ID, RecallQuery{Query: "Have I deployed anything with Kubernetes?", K: 5})
	if err != nil {
		t.Fatal(err)
	}
	never, did := ids["I have never"], ids["I deployed t"]
	var marked bool
	for _, h := range hits {
		if h.Message.ID == never && slices.Contains(h.Conflicts, did) || h.Message.ID == did && slices.Contains(h.Conflicts, never) {
			marked = true
		}
	}
	if !marked {
		t.Fatalf("the contradiction is not marked: %+v", hits)
	}
}

// A message is found by what it answers: of two replies in the same words, the one that
// answered the question about the choir comes first when the choir is asked about, and the one
// that answered the fishing question when fishing is, by its embedding (the message it answers
// is embedded after it) and by the predicate term (which reads that message too). A message
// after the same party's own is not taken to answer it.
func TestRecallFindsAMessageByWhatItAnswers(t *testing.T) {
	ctx := state.WithTenant(context.Background(), state.DefaultTenant)
	svc, _, now := newTestService(t)
	a := createAgent(t, svc, MaxContextWindow)
	var replies []string
	for _, m := range []MessageInput{
		{Role: "assistant", Content: "Do you still sing in the church choir?"},
		{Role: "user", Content: "Yes, every Sunday since May."},
		{Role: "assistant", Content: "Do you still go fishing on the lake with your father?"},
		{Role: "user", Content: "Yes, every Sunday since May."},
	} {
		*now = now.Add(time.Minute)
		r, err := svc.Append(ctx, a.ID, []MessageInput{m})
		if err != nil {
			t.Fatal(err)
		}
		if m.Role == "user" {
			replies = append(replies, r.Messages[len(r.Messages)-1].ID)
		}
	}
	if _, err := svc.EmbedPending(ctx); err != nil {
		t.Fatal(err)
	}
	for i, q := range []string{"When did I start singing in the choir?", "How often do I go fishing with my dad?"} {
		hits, err := svc.SearchRecall(ctx, a.ID, RecallQuery{Query: q, K: 4})
		if err != nil {
			t.Fatal(err)
		}
		at := func(id string) int {
			return slices.IndexFunc(hits, func(h RecallHit) bool { return h.Message.ID == id })
		}
		want, other := at(replies[i]), at(replies[1-i])
		if want < 0 || (other >= 0 && other < want) {
			t.Fatalf("%q: the reply to its question at %d, the other reply at %d", q, want, other)
		}
	}

	user := state.Message{Seq: 2, Role: "user", Content: "Yes."}
	for _, c := range []struct {
		prev state.Message
		want string
	}{
		{state.Message{Seq: 1, Role: "assistant", Content: "Tea?"}, "Tea?"},
		{state.Message{Seq: 1, Role: "user", Content: "I like tea."}, ""},
		{state.Message{Seq: 1, Role: "tool", Content: `{"ok": true}`}, ""},
	} {
		if got := messageContext(user, &c.prev); got != c.want {
			t.Errorf("context of a user message after a %s one: %q, want %q", c.prev.Role, got, c.want)
		}
	}
	if got := messageContext(user, nil); got != "" {
		t.Errorf("context with no message before: %q", got)
	}
	long := strings.Repeat("word ", 200) + "Do you sing?"
	if got := tail(long, messageContextBytes); len(got) > messageContextBytes || !strings.HasSuffix(got, "Do you sing?") || !strings.HasPrefix(got, "word ") {
		t.Errorf("tail of a long message: %q", got)
	}
	cjk := strings.Repeat("我喜欢在周日去教堂唱诗班唱歌", 20)
	if got := tail(cjk, messageContextBytes); got == "" || len(got) > messageContextBytes || !utf8.ValidString(got) || !strings.HasSuffix(cjk, got) {
		t.Errorf("tail of a message without spaces: %q", got)
	}
	if got := messageContext(state.Message{Seq: 2, Role: "assistant"}, &state.Message{Seq: 1, Role: "user", Content: "Feed the puppy how often?"}); got != "" {
		t.Errorf("an assistant's message without words (a tool call) took the context %q", got)
	}
}

// The texts a batch of messages is embedded as, and the contexts recall search scores hits
// with, come from the message each answers, read from the store when the batch or the hits do
// not hold it.
func TestTheMessageAnsweredIsReadFromTheStore(t *testing.T) {
	ctx := state.WithTenant(context.Background(), state.DefaultTenant)
	svc, st, _ := newTestService(t)
	a := createAgent(t, svc, MaxContextWindow)
	for _, m := range []MessageInput{
		{Role: "assistant", Content: "Do you still sing in the choir?"},
		{Role: "user", Content: "Yes, every Sunday."},
		{Role: "user", Content: "And I joined a book club."},
	} {
		if _, err := svc.Append(ctx, a.ID, []MessageInput{m}); err != nil {
			t.Fatal(err)
		}
	}
	msgs, err := st.ListMessages(ctx, a.ID, 1, 10) // the batch begins after the question
	if err != nil || len(msgs) != 2 {
		t.Fatalf("messages %+v, %v", msgs, err)
	}
	texts, err := svc.messageEmbedTexts(ctx, msgs)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"Yes, every Sunday. Do you still sing in the choir?", "And I joined a book club."}; !slices.Equal(texts, want) {
		t.Fatalf("embedded as %q, want %q", texts, want)
	}
	hits := []RecallHit{{Message: msgs[1]}, {Message: msgs[0]}}
	cands := make([]validity.Candidate, len(hits))
	if err := svc.answeredMessages(ctx, a.ID, hits, cands); err != nil {
		t.Fatal(err)
	}
	if cands[0].Context != "" || cands[1].Context != "Do you still sing in the choir?" {
		t.Fatalf("contexts %q and %q", cands[0].Context, cands[1].Context)
	}
}
