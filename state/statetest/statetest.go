// Package statetest is the conformance suite every state.Store passes: Run it from each
// backend's tests with a constructor of a fresh, empty store.
package statetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/memsvc/memsvc/state"
)

// Run exercises a state.Store. newStore must return a fresh, empty store.
func Run(t *testing.T, newStore func(t *testing.T) state.Store) {
	t.Run("AgentCRUD", func(t *testing.T) { testAgentCRUD(t, newStore(t)) })
	t.Run("ListAgentsPages", func(t *testing.T) { testListAgents(t, newStore(t)) })
	t.Run("PageAppliesAtomically", func(t *testing.T) { testPageAtomic(t, newStore(t)) })
	t.Run("PageEvictAndSummary", func(t *testing.T) { testEvict(t, newStore(t)) })
	t.Run("ConcurrentPagesSerialize", func(t *testing.T) { testConcurrent(t, newStore(t)) })
	t.Run("ConcurrentFailuresStayAlone", func(t *testing.T) { testConcurrentFailures(t, newStore(t)) })
	t.Run("RecallSearch", func(t *testing.T) { testRecall(t, newStore(t)) })
	t.Run("RecallFollowsWritesPerAgent", func(t *testing.T) { testRecallFollowsWrites(t, newStore(t)) })
	t.Run("UnembeddedByAgent", func(t *testing.T) { testUnembeddedByAgent(t, newStore(t)) })
	t.Run("MessagesAt", func(t *testing.T) { testMessagesAt(t, newStore(t)) })
	t.Run("Blocks", func(t *testing.T) { testBlocks(t, newStore(t)) })
	t.Run("EmbedderCheck", func(t *testing.T) { testEmbedder(t, newStore(t)) })
	t.Run("DeleteAgentRemovesAll", func(t *testing.T) { testDelete(t, newStore(t)) })
	t.Run("Compactions", func(t *testing.T) { testCompactions(t, newStore(t)) })
	t.Run("TenantScoping", func(t *testing.T) { testTenantScoping(t, newStore(t)) })
	t.Run("Keys", func(t *testing.T) { testKeys(t, newStore(t)) })
	t.Run("TenantPermissions", func(t *testing.T) { testTenantPermissions(t, newStore(t)) })
	t.Run("SharedBlocks", func(t *testing.T) { testSharedBlocks(t, newStore(t)) })
	t.Run("SharedWriteConflict", func(t *testing.T) { testSharedConflict(t, newStore(t)) })
}

func newAgent(t *testing.T, s state.Store) state.Agent {
	t.Helper()
	now := time.Now().UTC().Truncate(time.Microsecond)
	a := state.Agent{ID: state.NewID("ag"), Name: "a", System: "sys", ContextWindow: 1000, Model: "gpt-4o",
		Pager: state.PagerConfig{WarnRatio: 0.7, FlushRatio: 1, TargetRatio: 0.5, KeepLast: 4}, CreatedAt: now, UpdatedAt: now}
	if err := s.CreateAgent(state.AllTenants(context.Background()), a, []state.Block{{Label: "human", Value: "v", Limit: 100}}); err != nil {
		t.Fatal(err)
	}
	return a
}

func appendN(t *testing.T, s state.Store, agentID string, texts ...string) []state.Message {
	t.Helper()
	var out []state.Message
	err := s.Page(state.AllTenants(context.Background()), agentID, func(ctx context.Context, p state.Page) (state.Change, error) {
		c := p.Agent().Context
		for _, txt := range texts {
			c.LastSeq++
			c.MessageTokens += 10
			c.InContext++
			out = append(out, state.Message{ID: state.NewID("msg"), AgentID: agentID, Seq: c.LastSeq, Role: "user",
				Content: txt, Tokens: 10, InContext: true, CreatedAt: time.Now().UTC()})
		}
		return state.Change{Append: out, Context: &c}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func testAgentCRUD(t *testing.T, s state.Store) {
	ctx := state.AllTenants(context.Background())
	a := newAgent(t, s)
	got, err := s.GetAgent(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != a.Name || got.System != a.System || got.ContextWindow != 1000 || got.Pager != a.Pager || !got.CreatedAt.Equal(a.CreatedAt) {
		t.Fatalf("round trip: got %+v, want %+v", got, a)
	}
	if err := s.CreateAgent(ctx, a, nil); !errors.Is(err, state.ErrConflict) {
		t.Fatalf("duplicate create: %v, want ErrConflict", err)
	}
	if _, err := s.GetAgent(ctx, "ag_missing"); !errors.Is(err, state.ErrNotFound) {
		t.Fatalf("missing agent: %v, want ErrNotFound", err)
	}
	err = s.Page(ctx, "ag_missing", func(context.Context, state.Page) (state.Change, error) {
		t.Fatal("fn must not run for a missing agent")
		return state.Change{}, nil
	})
	if !errors.Is(err, state.ErrNotFound) {
		t.Fatalf("page missing agent: %v", err)
	}
}

func testListAgents(t *testing.T, s state.Store) {
	ctx := state.AllTenants(context.Background())
	var ids []string
	for range 5 {
		ids = append(ids, newAgent(t, s).ID)
		time.Sleep(2 * time.Millisecond) // IDs sort by millisecond
	}
	var seen []string
	cursor := ""
	for {
		page, next, err := s.ListAgents(ctx, state.ListOptions{Limit: 2, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range page {
			seen = append(seen, a.ID)
		}
		if next == "" {
			break
		}
		cursor = next
	}
	if fmt.Sprint(seen) != fmt.Sprint(ids) {
		t.Fatalf("paged list = %v, want %v", seen, ids)
	}
	if _, _, err := s.ListAgents(ctx, state.ListOptions{Limit: 2, Cursor: "garbage"}); !errors.Is(err, state.ErrInvalid) {
		t.Fatalf("bad cursor: %v, want ErrInvalid", err)
	}
}

func testPageAtomic(t *testing.T, s state.Store) {
	ctx := state.AllTenants(context.Background())
	a := newAgent(t, s)
	appendN(t, s, a.ID, "one")
	boom := errors.New("boom")
	err := s.Page(ctx, a.ID, func(ctx context.Context, p state.Page) (state.Change, error) {
		return state.Change{}, boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("fn error must be returned: %v", err)
	}
	// A change that fails half-way (duplicate seq) must leave nothing behind.
	err = s.Page(ctx, a.ID, func(ctx context.Context, p state.Page) (state.Change, error) {
		c := p.Agent().Context
		c.LastSeq = 5
		return state.Change{Append: []state.Message{
			{ID: state.NewID("msg"), Seq: 2, Role: "user", Content: "two", Tokens: 1, CreatedAt: time.Now()},
			{ID: state.NewID("msg"), Seq: 1, Role: "user", Content: "dup", Tokens: 1, CreatedAt: time.Now()},
		}, Context: &c}, nil
	})
	if err == nil {
		t.Fatal("a duplicate seq must fail")
	}
	msgs, err := s.ListMessages(ctx, a.ID, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 1 || msgs[0].Content != "one" {
		t.Fatalf("after a failed change: %+v", msgs)
	}
	got, _ := s.GetAgent(ctx, a.ID)
	if got.Context.LastSeq != 1 || got.Context.InContext != 1 {
		t.Fatalf("counters changed by a failed step: %+v", got.Context)
	}
}

func testEvict(t *testing.T, s state.Store) {
	ctx := state.AllTenants(context.Background())
	a := newAgent(t, s)
	msgs := appendN(t, s, a.ID, "m1", "m2", "m3", "m4")
	sum := &state.Summary{ID: state.NewID("sum"), AgentID: a.ID, Text: "m1 m2", Tokens: 5, FromSeq: 1, ThroughSeq: 2,
		SourceMessageIDs: []string{msgs[0].ID, msgs[1].ID}, CreatedAt: time.Now().UTC()}
	err := s.Page(ctx, a.ID, func(ctx context.Context, p state.Page) (state.Change, error) {
		c := p.Agent().Context
		c.InContext -= 2
		c.SummaryID, c.SummaryTokens = sum.ID, sum.Tokens
		return state.Change{EvictThrough: 2, Summary: sum, Context: &c}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	in, err := s.InContext(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(in) != 2 || in[0].Seq != 3 {
		t.Fatalf("in context after evict: %+v", in)
	}
	all, _ := s.ListMessages(ctx, a.ID, 0, 100)
	if len(all) != 4 || all[0].InContext || !all[3].InContext {
		t.Fatalf("history after evict: %+v", all)
	}
	err = s.Page(ctx, a.ID, func(ctx context.Context, p state.Page) (state.Change, error) {
		got, err := p.Summary(ctx)
		if err != nil || got == nil || got.ID != sum.ID || len(got.SourceMessageIDs) != 2 {
			t.Errorf("Page.Summary = %+v, %v", got, err)
		}
		return state.Change{}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	pending, err := s.PendingSummaries(ctx, 10)
	if err != nil || len(pending) != 1 || pending[0].ID != sum.ID {
		t.Fatalf("outbox: %+v, %v", pending, err)
	}
	if err := s.MarkSummaryArchived(ctx, sum.ID, "psg_1"); err != nil {
		t.Fatal(err)
	}
	if pending, _ := s.PendingSummaries(ctx, 10); len(pending) != 0 {
		t.Fatalf("outbox after mark: %+v", pending)
	}
	list, _ := s.ListSummaries(ctx, a.ID)
	if len(list) != 1 || list[0].PassageID != "psg_1" {
		t.Fatalf("summaries: %+v", list)
	}
}

func testConcurrent(t *testing.T, s state.Store) {
	a := newAgent(t, s)
	const workers, each = 8, 10
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				appendN(t, s, a.ID, fmt.Sprintf("w%d-%d", w, i))
			}
		}()
	}
	wg.Wait()
	msgs, err := s.ListMessages(state.AllTenants(context.Background()), a.ID, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != workers*each {
		t.Fatalf("got %d messages, want %d", len(msgs), workers*each)
	}
	for i, m := range msgs {
		if m.Seq != int64(i+1) {
			t.Fatalf("seq %d at position %d: seqs must be 1..n with no gap", m.Seq, i)
		}
	}
}

func testRecall(t *testing.T, s state.Store) {
	ctx := state.AllTenants(context.Background())
	a, b := newAgent(t, s), newAgent(t, s)
	msgs := appendN(t, s, a.ID, "Alice moved to Berlin last spring", "The weather is nice", "We talked about pasta recipes")
	appendN(t, s, b.ID, "Bob moved to Berlin too")
	hits, err := s.SearchMessages(ctx, state.RecallQuery{AgentID: a.ID, Text: "Berlin", K: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(hits) != 1 || hits[0].Message.ID != msgs[0].ID || hits[0].LexicalRank != 1 {
		t.Fatalf("lexical recall: %+v", hits)
	}
	unembedded, err := s.UnembeddedMessages(ctx, "", 100)
	if err != nil || len(unembedded) != 4 {
		t.Fatalf("unembedded: %d, %v", len(unembedded), err)
	}

	pending := func(agentID string, want int) {
		t.Helper()
		if n, err := s.PendingVectors(ctx, agentID); err != nil || n != want {
			t.Fatalf("pending vectors of %s: %d, %v; want %d", agentID, n, err, want)
		}
	}
	pending(a.ID, 3)
	pending(b.ID, 1)
	vecs := map[string][]float32{msgs[0].ID: {1, 0, 0}, msgs[1].ID: {0, 1, 0}, msgs[2].ID: {0.6, 0.8, 0}}
	if err := s.SetMessageVectors(ctx, vecs); err != nil {
		t.Fatal(err)
	}
	pending(a.ID, 0)
	pending(b.ID, 1)
	hits, err = s.SearchMessages(ctx, state.RecallQuery{AgentID: a.ID, Text: "", Vector: []float32{0, 1, 0}, K: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(hits) != 3 || hits[0].Message.ID != msgs[1].ID || hits[0].DenseRank != 1 || hits[1].Message.ID != msgs[2].ID {
		t.Fatalf("dense recall order: %+v", hits)
	}
	hits, err = s.SearchMessages(ctx, state.RecallQuery{AgentID: a.ID, Text: "pasta", Roles: []string{"assistant"}, K: 10})
	if err != nil || len(hits) != 0 {
		t.Fatalf("role filter: %+v, %v", hits, err)
	}
	for _, q := range []string{`"`, `NEAR(`, `*`, `a:b -c`} {
		if _, err := s.SearchMessages(ctx, state.RecallQuery{AgentID: a.ID, Text: q, K: 5}); err != nil {
			t.Errorf("hostile query %q: %v", q, err)
		}
	}
}

// testUnembeddedByAgent: the messages awaiting a vector come by agent, in the store's order of
// agent IDs, and oldest first within an agent, whatever order they were written in; after an
// agent, only those of the agents after it.
func testUnembeddedByAgent(t *testing.T, s state.Store) {
	ctx := state.AllTenants(context.Background())
	x, y := newAgent(t, s), newAgent(t, s)
	// The store's own order of the two agents, from a read of one message each.
	appendN(t, s, y.ID, "y1")
	appendN(t, s, x.ID, "x1")
	got, err := s.UnembeddedMessages(ctx, "", 10)
	if err != nil || len(got) != 2 {
		t.Fatalf("unembedded: %+v, %v", got, err)
	}
	first, second := got[0].AgentID, got[1].AgentID
	// The second agent's messages are written first, then the first agent's.
	appendN(t, s, second, "s2", "s3")
	appendN(t, s, first, "f2", "f3")
	got, err = s.UnembeddedMessages(ctx, "", 10)
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, m := range got {
		order = append(order, m.Content)
	}
	want := []string{"x1", "f2", "f3", "y1", "s2", "s3"}
	if first == y.ID {
		want = []string{"y1", "f2", "f3", "x1", "s2", "s3"}
	}
	if !slices.Equal(order, want) {
		t.Fatalf("unembedded order %q, want %q", order, want)
	}
	if got, err := s.UnembeddedMessages(ctx, "", 2); err != nil || len(got) != 2 || got[0].Content != want[0] || got[1].Content != want[1] {
		t.Fatalf("the first two: %+v, %v", got, err)
	}
	if got, err := s.UnembeddedMessages(ctx, first, 10); err != nil || len(got) != 3 || got[0].AgentID != second || got[0].Content != want[3] {
		t.Fatalf("after %s: %+v, %v", first, got, err)
	}
	if got, err := s.UnembeddedMessages(ctx, second, 10); err != nil || len(got) != 0 {
		t.Fatalf("after the last agent: %+v, %v", got, err)
	}
}

// testMessagesAt: the messages of the sequence numbers asked that exist, of that agent only,
// oldest first, whatever the order asked.
func testMessagesAt(t *testing.T, s state.Store) {
	ctx := state.AllTenants(context.Background())
	x, y := newAgent(t, s), newAgent(t, s)
	appendN(t, s, x.ID, "x1", "x2", "x3", "x4")
	appendN(t, s, y.ID, "y1", "y2")
	got, err := s.MessagesAt(ctx, x.ID, []int64{4, 2, 9, 0, 2})
	if err != nil {
		t.Fatal(err)
	}
	var contents []string
	for _, m := range got {
		if m.AgentID != x.ID {
			t.Fatalf("a message of another agent: %+v", m)
		}
		contents = append(contents, m.Content)
	}
	if !slices.Equal(contents, []string{"x2", "x4"}) {
		t.Fatalf("MessagesAt(2, 4, absent ones) = %q, want x2 x4", contents)
	}
	if got, err := s.MessagesAt(ctx, y.ID, nil); err != nil || len(got) != 0 {
		t.Fatalf("MessagesAt(none) = %+v, %v", got, err)
	}
}

// testRecallFollowsWrites: recall's lexical half finds what was appended after an agent's first
// search, scores an agent by its own messages only (another agent's, another tenant's, change
// neither its order nor its scores), and forgets a deleted agent.
func testRecallFollowsWrites(t *testing.T, s state.Store) {
	ctx := state.AllTenants(context.Background())
	a, b := newAgent(t, s), newAgent(t, s)
	search := func(agentID, text string) []state.MessageHit {
		t.Helper()
		hits, err := s.SearchMessages(ctx, state.RecallQuery{AgentID: agentID, Text: text, K: 10})
		if err != nil {
			t.Fatal(err)
		}
		return hits
	}
	first := appendN(t, s, a.ID, "Alice moved to Berlin", "We cooked pasta")
	if hits := search(a.ID, "Berlin"); len(hits) != 1 || hits[0].Message.ID != first[0].ID {
		t.Fatalf("first search: %+v", hits)
	}
	later := appendN(t, s, a.ID, "Berlin is cold in winter, Berlin")
	hits := search(a.ID, "Berlin cold")
	if len(hits) != 2 || hits[0].Message.ID != later[0].ID || hits[1].Message.ID != first[0].ID ||
		hits[0].LexicalRank != 1 || hits[1].LexicalRank != 2 || hits[0].Lexical <= hits[1].Lexical || hits[1].Lexical <= 0 {
		t.Fatalf("after an append: %+v", hits)
	}
	to := first[1].CreatedAt // before the later append (stores may truncate times, never round up)
	if got, err := s.SearchMessages(ctx, state.RecallQuery{AgentID: a.ID, Text: "Berlin", To: &to, K: 10}); err != nil ||
		len(got) != 1 || got[0].Message.ID != first[0].ID {
		t.Fatalf("time filter: %+v, %v", got, err)
	}
	var flood []string
	for range 40 {
		flood = append(flood, "Berlin Berlin cold cold winter")
	}
	appendN(t, s, b.ID, flood...)
	again := search(a.ID, "Berlin cold")
	if len(again) != len(hits) {
		t.Fatalf("beside another agent's messages: %d hits, want %d", len(again), len(hits))
	}
	for i := range hits {
		if again[i].Message.ID != hits[i].Message.ID || again[i].LexicalRank != hits[i].LexicalRank ||
			again[i].Lexical != hits[i].Lexical {
			t.Errorf("hit %d: %s %.6f (rank %d), before %s %.6f (rank %d)", i, again[i].Message.ID, again[i].Lexical,
				again[i].LexicalRank, hits[i].Message.ID, hits[i].Lexical, hits[i].LexicalRank)
		}
	}
	if err := s.DeleteAgent(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	if got := search(a.ID, "Berlin"); len(got) != 0 {
		t.Fatalf("a deleted agent's messages are found: %+v", got)
	}
	got := search(b.ID, "Berlin")
	if len(got) == 0 {
		t.Fatal("the other agent's messages are not found")
	}
	for _, h := range got {
		if h.Message.AgentID != b.ID {
			t.Fatalf("agent b's search found %+v", h.Message)
		}
	}
}

func testBlocks(t *testing.T, s state.Store) {
	ctx := state.AllTenants(context.Background())
	a := newAgent(t, s)
	err := s.Page(ctx, a.ID, func(ctx context.Context, p state.Page) (state.Change, error) {
		return state.Change{PutBlocks: []state.Block{{Label: "human", Value: "new", Limit: 50}, {Label: "persona", Value: "p", Limit: 10, ReadOnly: true}}}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	bs, err := s.ListBlocks(ctx, a.ID)
	if err != nil || len(bs) != 2 || bs[0].Label != "human" || bs[0].Value != "new" || !bs[1].ReadOnly {
		t.Fatalf("blocks: %+v, %v", bs, err)
	}
	if _, err := s.GetBlock(ctx, a.ID, "nope"); !errors.Is(err, state.ErrNotFound) {
		t.Fatalf("missing block: %v", err)
	}
}

func testEmbedder(t *testing.T, s state.Store) {
	ctx := state.AllTenants(context.Background())
	if err := s.CheckEmbedder(ctx, "m1", 100); err != nil {
		t.Fatal(err)
	}
	if err := s.CheckEmbedder(ctx, "m1", 100); err != nil {
		t.Fatalf("same embedder again: %v", err)
	}
	if err := s.CheckEmbedder(ctx, "m1", 768); !errors.Is(err, state.ErrDimensionMismatch) {
		t.Fatalf("other dimension: %v", err)
	}
	if err := s.CheckEmbedder(ctx, "m2", 100); !errors.Is(err, state.ErrDimensionMismatch) {
		t.Fatalf("other model: %v", err)
	}
}

func testDelete(t *testing.T, s state.Store) {
	ctx := state.AllTenants(context.Background())
	a := newAgent(t, s)
	appendN(t, s, a.ID, "hello berlin")
	if err := s.DeleteAgent(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetAgent(ctx, a.ID); !errors.Is(err, state.ErrNotFound) {
		t.Fatalf("deleted agent: %v", err)
	}
	if msgs, _ := s.ListMessages(ctx, a.ID, 0, 10); len(msgs) != 0 {
		t.Fatalf("messages survive their agent: %+v", msgs)
	}
	if hits, _ := s.SearchMessages(ctx, state.RecallQuery{AgentID: a.ID, Text: "berlin", K: 5}); len(hits) != 0 {
		t.Fatalf("recall finds a deleted agent's messages: %+v", hits)
	}
	if err := s.DeleteAgent(ctx, a.ID); !errors.Is(err, state.ErrNotFound) {
		t.Fatalf("second delete: %v", err)
	}
}

// testConcurrentFailures runs failing and succeeding steps concurrently (a store may commit them
// together): each failing step must leave nothing, each succeeding one must land.
func testConcurrentFailures(t *testing.T, s state.Store) {
	ctx := state.AllTenants(context.Background())
	a := newAgent(t, s)
	var wg sync.WaitGroup
	errs := make([]error, 40)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.Page(ctx, a.ID, func(ctx context.Context, p state.Page) (state.Change, error) {
				c := p.Agent().Context
				c.LastSeq++
				c.InContext++
				m := state.Message{ID: state.NewID("msg"), Seq: c.LastSeq, Role: "user", Content: fmt.Sprint("ok ", i),
					Tokens: 1, CreatedAt: time.Now()}
				if i%2 == 1 {
					// A step that fails after its writes were planned: a duplicate message ID.
					return state.Change{Append: []state.Message{m, {ID: m.ID, Seq: c.LastSeq + 1, Role: "user",
						Content: "dup", Tokens: 1, CreatedAt: time.Now()}}, Context: &c}, nil
				}
				return state.Change{Append: []state.Message{m}, Context: &c}, nil
			})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if (i%2 == 1) != (err != nil) {
			t.Fatalf("step %d: err = %v", i, err)
		}
	}
	msgs, err := s.ListMessages(ctx, a.ID, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 20 {
		t.Fatalf("%d messages stored, want the 20 of the succeeding steps", len(msgs))
	}
	for i, m := range msgs {
		if m.Seq != int64(i+1) || m.Content == "dup" {
			t.Fatalf("message %d: %+v", i, m)
		}
	}
	got, _ := s.GetAgent(ctx, a.ID)
	if got.Context.LastSeq != 20 || got.Context.InContext != 20 {
		t.Fatalf("counters: %+v", got.Context)
	}
}
