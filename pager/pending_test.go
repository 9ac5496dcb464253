package pager

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/memsvc/memsvc/state"
)

// Appends commit before their vectors exist: recall search still finds the messages by their
// words, and says how many are not embedded yet, until the background embedder has run.
func TestRecallSaysWhenVectorsArePending(t *testing.T) {
	ctx := state.WithTenant(context.Background(), state.DefaultTenant)
	svc, _, _ := newTestService(t)
	a := createAgent(t, svc, MaxContextWindow)
	other := createAgent(t, svc, MaxContextWindow)
	for _, text := range []string{"The invoice for the Lisbon trip was paid on Monday.", "Bruno asked about the ferry times."} {
		if _, err := svc.Append(ctx, a.ID, []MessageInput{{Role: "user", Content: text}}); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := svc.PendingVectors(ctx, a.ID); err != nil || n != 2 {
		t.Fatalf("pending: %d, %v; want 2", n, err)
	}
	if n, err := svc.PendingVectors(ctx, other.ID); err != nil || n != 0 {
		t.Fatalf("another agent's pending: %d, %v; want 0", n, err)
	}
	args, _ := json.Marshal(map[string]any{"query": "Lisbon invoice"})
	res, err := svc.CallTool(ctx, a.ID, ToolCall{Name: "conversation_search", Arguments: args})
	if err != nil || res.IsError {
		t.Fatalf("conversation_search: %+v, %v", res, err)
	}
	if !strings.Contains(res.Content, "2 of the newest messages are not embedded yet") || !strings.Contains(res.Content, "Lisbon trip") {
		t.Fatalf("tool result %q", res.Content)
	}
	if _, err := svc.EmbedPending(ctx); err != nil {
		t.Fatal(err)
	}
	if n, err := svc.PendingVectors(ctx, a.ID); err != nil || n != 0 {
		t.Fatalf("pending after embedding: %d, %v", n, err)
	}
	res, err = svc.CallTool(ctx, a.ID, ToolCall{Name: "conversation_search", Arguments: args})
	if err != nil || strings.Contains(res.Content, "not embedded") {
		t.Fatalf("tool result after embedding %q, %v", res.Content, err)
	}
	if _, err := svc.PendingVectors(ctx, "ag_missing"); err == nil {
		t.Fatal("no error for an unknown agent")
	}
}
