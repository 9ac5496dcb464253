package pager

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/memsvc/memsvc/state"
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
