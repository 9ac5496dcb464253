package pager

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/memsvc/memsvc/state"
)

func msg(role string, tokens int) state.Message { return state.Message{Role: role, Tokens: tokens} }

func TestPlanEviction(t *testing.T) {
	tests := []struct {
		name                        string
		msgs                        []state.Message
		fixed, target, window, keep int
		want                        int
	}{
		{"fits target already", []state.Message{msg("user", 10), msg("user", 10)}, 0, 100, 200, 0, 0},
		{"evicts oldest to target", []state.Message{msg("user", 40), msg("user", 40), msg("user", 40)}, 0, 50, 200, 0, 2},
		{"keeps keep_last", []state.Message{msg("user", 40), msg("user", 40), msg("user", 40)}, 0, 10, 200, 2, 1},
		{"never splits a tool call from its results",
			[]state.Message{msg("user", 10), msg("assistant", 10), msg("tool", 10), msg("tool", 10), msg("user", 10)}, 0, 25, 200, 0, 4},
		{"goes past keep_last only to fit the window",
			[]state.Message{msg("user", 60), msg("user", 60), msg("user", 60)}, 0, 50, 100, 3, 2},
		{"never evicts the newest unit", []state.Message{msg("user", 500)}, 0, 10, 100, 0, 0},
		{"fixed counts", []state.Message{msg("user", 10), msg("user", 10)}, 95, 100, 200, 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := planEviction(tt.msgs, tt.fixed, tt.target, tt.window, tt.keep); got != tt.want {
				t.Fatalf("planEviction = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestLeadKeepsPinnedAndFitsBudget(t *testing.T) {
	svc, _, _ := newTestService(t)
	c, _ := svc.Tokenizers().Counter("")
	var msgs []state.Message
	for i := range 30 {
		msgs = append(msgs, state.Message{Role: "user", Content: fmt.Sprintf("Message number %d talks about topic %d at length. More text.", i, i)})
	}
	msgs[3].Pinned = true
	msgs[3].Content = "My locker code is 4812."
	out, err := Lead{}.Summarize(state.WithTenant(context.Background(), state.DefaultTenant), SummaryInput{Previous: "user: earlier fact.", Messages: msgs, MaxTokens: 60, Count: c.Count})
	if err != nil {
		t.Fatal(err)
	}
	if c.Count(out) > 60 {
		t.Fatalf("summary has %d tokens, budget 60:\n%s", c.Count(out), out)
	}
	if !strings.Contains(out, "[pinned] user: My locker code is 4812.") {
		t.Fatalf("pinned message dropped:\n%s", out)
	}
	if !strings.Contains(out, "topic 29") {
		t.Fatalf("the newest lines must survive:\n%s", out)
	}
	if strings.Contains(out, "More text") {
		t.Fatalf("unpinned lines keep their first sentence only:\n%s", out)
	}
}

// TestLeadDropsTheFewestOldestLines: the summary keeps the most lines that fit, dropping
// the oldest unpinned ones first, exactly as dropping one line at a time and recounting would.
func TestLeadDropsTheFewestOldestLines(t *testing.T) {
	svc, _, _ := newTestService(t)
	c, _ := svc.Tokenizers().Counter("")
	var msgs []state.Message
	for i := range 40 {
		msgs = append(msgs, state.Message{Role: "user", Content: fmt.Sprintf("Fact %d: %s.", i, strings.Repeat("word ", i%9+1))})
	}
	msgs[5].Pinned, msgs[20].Pinned = true, true
	for _, budget := range []int{10, 40, 97, 150, 400, 10000} {
		in := SummaryInput{Previous: "user: earlier fact.", Messages: msgs, MaxTokens: budget, Count: c.Count}
		out, err := Lead{}.Summarize(context.Background(), in)
		if err != nil {
			t.Fatal(err)
		}
		// The rule, one line at a time.
		all, _ := Lead{}.Summarize(context.Background(), SummaryInput{Previous: in.Previous, Messages: msgs, MaxTokens: 1 << 30, Count: c.Count})
		lines := strings.Split(all, "\n")
		for c.Count(strings.Join(lines, "\n")) > budget {
			drop := -1
			for i, l := range lines {
				if !strings.HasPrefix(l, pinnedMark) {
					drop = i
					break
				}
			}
			if drop < 0 {
				break
			}
			lines = append(lines[:drop], lines[drop+1:]...)
		}
		if want := strings.Join(lines, "\n"); out != want {
			t.Errorf("budget %d:\n%s\nwant\n%s", budget, out, want)
		}
	}
}

// Appends page within the window: each eviction queues a compaction in the same step (the job
// that summarizes it runs in package compaction, whose tests check the summary), the evicted
// messages are in recall at once, and the summary's budget stays reserved for when it lands.
func TestAppendPagesWithinWindow(t *testing.T) {
	ctx := state.WithTenant(context.Background(), state.DefaultTenant)
	svc, st, _ := newTestService(t)
	a := createAgent(t, svc, 1200, state.Block{Label: "human", Value: "Name: Sam."})
	var sawPressure, sawEvict int
	var jobs []string
	var throughs []int64
	for i := range 80 {
		res, err := svc.Append(ctx, a.ID, []MessageInput{{Role: "user", Content: fmt.Sprintf(
			"Message %d: the code word for day %d is zebra%d, and we discussed gardening, weather and travel plans.", i, i, i)}})
		if err != nil {
			t.Fatalf("append %d: %v", i, err)
		}
		// No summary has landed (no job runs here), so the whole summary budget must be free.
		if res.Context.Tokens+SummaryBudget(res.Context.Window) > res.Context.Window {
			t.Fatalf("append %d: context %d plus the summary budget exceeds window %d", i, res.Context.Tokens, res.Context.Window)
		}
		for _, e := range res.Events {
			switch e.Type {
			case EventMemoryPressure:
				sawPressure++
			case EventEvicted:
				sawEvict++
				if e.Count == 0 || e.ThroughSeq == 0 {
					t.Fatalf("evicted event without count/through_seq: %+v", e)
				}
				throughs = append(throughs, e.ThroughSeq)
			case EventCompactionQueued:
				if e.JobID == "" {
					t.Fatalf("compaction_queued without job_id: %+v", e)
				}
				jobs = append(jobs, e.JobID)
			case EventSummarized:
				t.Fatalf("append %d summarized synchronously: %+v", i, e)
			}
		}
	}
	if sawPressure == 0 || sawEvict == 0 || len(jobs) != sawEvict {
		t.Fatalf("events: pressure=%d evicted=%d compaction_queued=%d", sawPressure, sawEvict, len(jobs))
	}
	// Each eviction committed its queued compaction, for exactly its span.
	for i, id := range jobs {
		c, err := st.GetCompaction(ctx, id)
		if err != nil || c.Status != state.CompactionQueued || c.ThroughSeq != throughs[i] || c.Reason != state.ReasonEvicted {
			t.Fatalf("compaction %s: %+v, %v", id, c, err)
		}
		if i > 0 && c.FromSeq != throughs[i-1]+1 {
			t.Fatalf("compaction %s spans %d..%d after an eviction through %d", id, c.FromSeq, c.ThroughSeq, throughs[i-1])
		}
	}
	// The counters agree with a recount from the stored messages.
	view, err := svc.Context(ctx, a.ID, FormatOpenAI)
	if err != nil {
		t.Fatal(err)
	}
	sum := 0
	for _, m := range view.Stored {
		sum += m.Tokens
	}
	if sum != view.Tokens.Messages {
		t.Fatalf("message tokens counter %d, recount %d", view.Tokens.Messages, sum)
	}
	if view.Tokens.Total > 1200 || view.Summary != nil {
		t.Fatalf("context: %+v, summary %+v", view.Tokens, view.Summary)
	}
	// Early messages are found in recall at once, evicted.
	hits, err := svc.SearchRecall(ctx, a.ID, RecallQuery{Query: "zebra3"})
	if err != nil || len(hits) == 0 || hits[0].Message.InContext || !strings.Contains(hits[0].Message.Content, "zebra3,") {
		t.Fatalf("recall zebra3: %+v, %v", hits, err)
	}
	msgs, _, _ := svc.History(ctx, a.ID, 0, 1000)
	for i, m := range msgs {
		if m.Seq != int64(i+1) {
			t.Fatalf("history seq %d at %d", m.Seq, i)
		}
	}
}

// Compact evicts down to target_ratio and queues a compaction; with nothing to evict it still
// queues one for what earlier evictions left.
func TestCompactOnRequest(t *testing.T) {
	ctx := state.WithTenant(context.Background(), state.DefaultTenant)
	svc, st, _ := newTestService(t)
	a := createAgent(t, svc, 1200)
	for i := range 25 { // about 750 tokens: past target_ratio, short of a flush
		if _, err := svc.Append(ctx, a.ID, []MessageInput{{Role: "user", Content: fmt.Sprintf(
			"note %d about the garden, the weather today, the roses by the fence and the plans we made for the spring planting", i)}}); err != nil {
			t.Fatal(err)
		}
	}
	c, err := svc.Compact(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if c.Reason != state.ReasonRequested || c.Status != state.CompactionQueued || c.ThroughSeq == 0 {
		t.Fatalf("requested compaction: %+v", c)
	}
	in, _ := st.InContext(ctx, a.ID)
	if len(in) == 0 || in[0].Seq != c.ThroughSeq+1 {
		t.Fatalf("after compact, context starts at %v, compaction through %d", in, c.ThroughSeq)
	}
	again, err := svc.Compact(ctx, a.ID)
	if err != nil || again.ID == c.ID || again.ThroughSeq != c.ThroughSeq || again.FromSeq != 1 {
		t.Fatalf("compact with nothing to evict: %+v, %v", again, err)
	}
	if _, err := svc.Compact(ctx, "ag_nope"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown agent: %v", err)
	}
}

func TestAppendRejectsOversizedMessage(t *testing.T) {
	ctx := state.WithTenant(context.Background(), state.DefaultTenant)
	svc, _, _ := newTestService(t)
	a := createAgent(t, svc, 1200)
	_, err := svc.Append(ctx, a.ID, []MessageInput{{Role: "user", Content: "ok"}, {Role: "user", Content: strings.Repeat("word ", 2000)}})
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("oversized: %v, want ErrTooLarge", err)
	}
	msgs, _, _ := svc.History(ctx, a.ID, 0, 10)
	if len(msgs) != 0 {
		t.Fatalf("a refused append stored %d messages", len(msgs))
	}
}

func TestAppendValidation(t *testing.T) {
	ctx := state.WithTenant(context.Background(), state.DefaultTenant)
	svc, _, _ := newTestService(t)
	a := createAgent(t, svc, 4000)
	bad := [][]MessageInput{
		nil,
		{{Role: "robot", Content: "x"}},
		{{Role: "user", Content: ""}},
		{{Role: "tool", Content: "x"}},
		{{Role: "user", Content: "x", ToolCalls: []byte(`[]`)}},
		{{Role: "assistant", ToolCalls: []byte(`{"not":"array"}`)}},
	}
	for i, in := range bad {
		if _, err := svc.Append(ctx, a.ID, in); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("case %d: %v, want ErrInvalidArgument", i, err)
		}
	}
	if _, err := svc.Append(ctx, "ag_nope", []MessageInput{{Role: "user", Content: "x"}}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown agent: %v", err)
	}
}

func TestToolCallGroupsStayTogether(t *testing.T) {
	ctx := state.WithTenant(context.Background(), state.DefaultTenant)
	svc, _, _ := newTestService(t)
	a := createAgent(t, svc, 1200)
	long := strings.Repeat("filler words about nothing in particular ", 6)
	for i := range 40 {
		in := []MessageInput{{Role: "user", Content: long}}
		if i%3 == 0 {
			call := fmt.Sprintf(`[{"id":"c%d","type":"function","function":{"name":"f","arguments":"{}"}}]`, i)
			in = append(in, MessageInput{Role: "assistant", ToolCalls: []byte(call)},
				MessageInput{Role: "tool", ToolCallID: fmt.Sprintf("c%d", i), Content: long})
		}
		if _, err := svc.Append(ctx, a.ID, in); err != nil {
			t.Fatal(err)
		}
		view, err := svc.Context(ctx, a.ID, FormatOpenAI)
		if err != nil {
			t.Fatal(err)
		}
		if len(view.Stored) > 0 && view.Stored[0].Role == "tool" {
			t.Fatalf("after append %d the context starts with a tool result cut from its call", i)
		}
	}
}

// Messages that differ only in words the embedder does not know (numbers) get one vector; the
// lexical list must decide between them, not the order of equal cosines.
func TestRecallPrefersTheExactNumber(t *testing.T) {
	ctx := state.WithTenant(context.Background(), state.DefaultTenant)
	svc, _, _ := newTestService(t)
	a := createAgent(t, svc, 100000)
	for i := 1; i <= 20; i++ {
		if _, err := svc.Append(ctx, a.ID, []MessageInput{{Role: "user", Content: fmt.Sprintf("My locker number at the gym is %d.", 1000+i)}}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := svc.EmbedPending(ctx); err != nil {
		t.Fatal(err)
	}
	hits, err := svc.SearchRecall(ctx, a.ID, RecallQuery{Query: "locker 1013", K: 3})
	if err != nil || len(hits) == 0 || !strings.Contains(hits[0].Message.Content, "1013") {
		t.Fatalf("top hit for locker 1013: %+v, %v", hits, err)
	}
}
