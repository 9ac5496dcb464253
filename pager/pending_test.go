package pager

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

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

// slowEmbedder takes at least delay per call, as a neural embedder's batch does.
type slowEmbedder struct {
	Embedder
	delay time.Duration
}

func (e slowEmbedder) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	time.Sleep(e.delay)
	return e.Embedder.Embed(ctx, texts)
}

// The background embedder works at most EmbedShare of its time through a backlog: with a share
// of 0.25 it rests at least three times as long as each batch took, and still embeds every
// message.
func TestBackgroundEmbedderKeepsItsShare(t *testing.T) {
	ctx := state.WithTenant(context.Background(), state.DefaultTenant)
	base, _, _ := newTestService(t)
	cfg := base.cfg
	cfg.Embedder = slowEmbedder{Embedder: cfg.Embedder, delay: 20 * time.Millisecond}
	cfg.EmbedInterval, cfg.EmbedShare = 5*time.Millisecond, 0.25
	svc, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	a := createAgent(t, svc, MaxContextWindow)
	var msgs []MessageInput
	for i := range 2*embedBatch + 6 { // three batches
		msgs = append(msgs, MessageInput{Role: "user", Content: fmt.Sprintf("note %d about the harbour", i)})
	}
	if _, err := svc.Append(ctx, a.ID, msgs); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := svc.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer svc.Stop()
	for {
		n, err := svc.PendingVectors(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		if time.Since(start) > 30*time.Second {
			t.Fatalf("%d messages still pending after 30s", n)
		}
		time.Sleep(5 * time.Millisecond)
	}
	// Three batches of at least 20ms, and a rest of at least 60ms after each of the first two.
	if d := time.Since(start); d < 3*20*time.Millisecond+2*60*time.Millisecond {
		t.Fatalf("the backlog was embedded in %v: the worker did not rest", d)
	}
}

// Agents take turns at the embedder: a message appended to one agent after another agent's long
// backlog is embedded in the next batch, not after the whole backlog; and every message is
// embedded in the end, the turns wrapping around after the last agent.
func TestAgentsTakeTurnsAtTheEmbedder(t *testing.T) {
	ctx := state.WithTenant(context.Background(), state.DefaultTenant)
	svc, _, _ := newTestService(t)
	bulk := createAgent(t, svc, MaxContextWindow)
	other := createAgent(t, svc, MaxContextWindow)
	if other.ID < bulk.ID { // the turns follow agent IDs: let the bulk agent's come first
		bulk, other = other, bulk
	}
	var msgs []MessageInput
	for i := range 4 * embedBatch {
		msgs = append(msgs, MessageInput{Role: "user", Content: fmt.Sprintf("imported note %d about the harbour", i)})
	}
	if _, err := svc.Append(ctx, bulk.ID, msgs); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Append(ctx, other.ID, []MessageInput{{Role: "user", Content: "Where did we park the van?"}}); err != nil {
		t.Fatal(err)
	}
	pending := func(a AgentView) int {
		t.Helper()
		n, err := svc.PendingVectors(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	for range 2 {
		if _, err := svc.embedBatch(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if got := pending(other); got != 0 {
		t.Fatalf("the other agent's message waits behind the backlog: %d pending after two batches", got)
	}
	if got := pending(bulk); got != 3*embedBatch {
		t.Fatalf("the bulk agent has %d pending after one of its batches, want %d", got, 3*embedBatch)
	}
	if _, err := svc.EmbedPending(ctx); err != nil {
		t.Fatal(err)
	}
	if got := pending(bulk); got != 0 {
		t.Fatalf("%d of the bulk agent's messages never embedded", got)
	}
}
