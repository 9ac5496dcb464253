// Package outboxtest is the conformance suite of outbox.Store backends. A backend's test calls
//
//	outboxtest.Run(t, func(t *testing.T) (a, b outbox.Store) { ... })
//
// where a and b are two stores over one fresh database isolated to t, as two replicas would
// open it: the suite checks that their locks exclude each other too.
package outboxtest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/memsvc/memsvc/archival"
	"github.com/memsvc/memsvc/archival/outbox"
)

// Run runs the suite, each subtest on its own database.
func Run(t *testing.T, open func(t *testing.T) (a, b outbox.Store)) {
	tests := []struct {
		name string
		fn   func(t *testing.T, a, b outbox.Store)
	}{
		{"AppendPendingDone", testAppendPendingDone},
		{"History", testHistory},
		{"Forget", testForget},
		{"LockExcludes", testLockExcludes},
		{"AppendNeedsLock", testAppendNeedsLock},
		{"Cancellation", testCancellation},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := open(t)
			tt.fn(t, a, b)
		})
	}
}

func lock(t *testing.T, s outbox.Store, agents ...string) outbox.Session {
	t.Helper()
	ss, err := s.Lock(context.Background(), agents)
	if err != nil {
		t.Fatalf("Lock(%v): %v", agents, err)
	}
	t.Cleanup(func() { ss.Close() })
	return ss
}

func appendW(t *testing.T, ss outbox.Session, w outbox.Write) []int64 {
	t.Helper()
	seqs, err := ss.Append(context.Background(), w)
	if err != nil {
		t.Fatalf("Append: %v", err)
	}
	if len(seqs) != len(w.Entries) || !slices.IsSorted(seqs) {
		t.Fatalf("Append returned seqs %v for %d entries", seqs, len(w.Entries))
	}
	return seqs
}

func bodies(es []outbox.Entry) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.AgentID + ":" + string(e.Body)
	}
	return out
}

func wantPending(t *testing.T, what string, es []outbox.Entry, err error, want ...string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if got := bodies(es); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("%s: pending %v, want %v", what, got, want)
	}
	for i := 1; i < len(es); i++ {
		if es[i].Seq <= es[i-1].Seq {
			t.Fatalf("%s: entries out of order: %+v", what, es)
		}
	}
}

func testAppendPendingDone(t *testing.T, a, _ outbox.Store) {
	ctx := context.Background()
	before := time.Now().Add(-time.Minute)
	ss := lock(t, a, "x", "y")
	s1 := appendW(t, ss, outbox.Write{Entries: []outbox.Entry{{AgentID: "x", Body: []byte("1")}, {AgentID: "y", Body: []byte("2")}}})
	s2 := appendW(t, ss, outbox.Write{Entries: []outbox.Entry{{AgentID: "x", Body: []byte("3")}}})
	if s2[0] <= s1[1] {
		t.Fatalf("later append got seq %d before %v", s2[0], s1)
	}
	all, err := a.Pending(ctx, 10)
	wantPending(t, "Store.Pending", all, err, "x:1", "y:2", "x:3")
	if all[0].CreatedAt.Before(before) || all[0].CreatedAt.After(time.Now().Add(time.Minute)) {
		t.Errorf("created_at %v, want about now", all[0].CreatedAt)
	}
	two, err := a.Pending(ctx, 2)
	wantPending(t, "Store.Pending(limit 2)", two, err, "x:1", "y:2")
	ss.Close()

	sx := lock(t, a, "x")
	mine, err := sx.Pending(ctx)
	wantPending(t, "Session.Pending of x", mine, err, "x:1", "x:3")
	if err := sx.Done(ctx, mine[0].Seq); err != nil {
		t.Fatal(err)
	}
	mine, err = sx.Pending(ctx)
	wantPending(t, "after Done", mine, err, "x:3")
	if err := sx.Done(ctx); err != nil {
		t.Fatalf("Done of nothing: %v", err)
	}
	if err := sx.Done(ctx, mine[0].Seq, s1[1]); err != nil {
		t.Fatal(err)
	}
	all, err = a.Pending(ctx, 10)
	wantPending(t, "all done", all, err)
	if err := sx.Close(); err != nil {
		t.Fatal(err)
	}
	if err := sx.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

func event(agent, id, action string, at time.Time) archival.Event {
	return archival.Event{AgentID: agent, PassageID: id, At: at, Action: action, FromStatus: archival.StatusValid,
		ToStatus: archival.StatusSuperseded, SupersededBy: "q", Cause: "because", Confidence: 0.5}
}

func testHistory(t *testing.T, a, _ outbox.Store) {
	ctx := context.Background()
	at := time.Date(2024, 5, 1, 10, 0, 0, 123_456_000, time.FixedZone("X", 3600))
	ss := lock(t, a, "x")
	appendW(t, ss, outbox.Write{Events: []archival.Event{event("x", "p", "created", at), event("x", "other", "created", at)}})
	appendW(t, ss, outbox.Write{Events: []archival.Event{event("x", "p", "superseded", at.Add(time.Second))}})
	h, err := a.History(ctx, "x", "p")
	if err != nil {
		t.Fatal(err)
	}
	if len(h) != 2 || h[0].Action != "created" || h[1].Action != "superseded" || h[1].Seq <= h[0].Seq {
		t.Fatalf("history %+v", h)
	}
	want := event("x", "p", "created", at)
	got := h[0]
	if !got.At.Equal(at) || got.At.Location() != time.UTC {
		t.Errorf("at %v, want %v in UTC", got.At, at)
	}
	got.At, got.Seq, want.At = time.Time{}, 0, time.Time{}
	if got != want {
		t.Errorf("event %+v, want %+v", got, want)
	}
	if h, err := a.History(ctx, "y", "p"); err != nil || h == nil || len(h) != 0 {
		t.Fatalf("another agent's history: %v %v, want empty and non-nil", h, err)
	}
}

func testForget(t *testing.T, a, _ outbox.Store) {
	ctx := context.Background()
	at := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	ss := lock(t, a, "x", "y")
	appendW(t, ss, outbox.Write{
		Entries: []outbox.Entry{{AgentID: "x", Body: []byte("old")}, {AgentID: "y", Body: []byte("keep")}},
		Events:  []archival.Event{event("x", "p", "created", at), event("x", "q", "created", at), event("y", "p", "created", at)},
	})
	appendW(t, ss, outbox.Write{ForgetPassages: []outbox.PassageRef{{AgentID: "x", ID: "p"}}})
	if h, _ := a.History(ctx, "x", "p"); len(h) != 0 {
		t.Fatalf("forgotten passage has history %+v", h)
	}
	if h, _ := a.History(ctx, "x", "q"); len(h) != 1 {
		t.Fatalf("other passage lost its history: %+v", h)
	}
	// Forgetting an agent drops its history and pending entries before the write's own.
	appendW(t, ss, outbox.Write{ForgetAgents: []string{"x"}, Entries: []outbox.Entry{{AgentID: "x", Body: []byte("drop")}},
		Events: []archival.Event{event("x", "q", "created", at)}})
	if h, _ := a.History(ctx, "x", "q"); len(h) != 1 {
		t.Fatalf("after forgetting x, q's history is %+v, want the new event only", h)
	}
	if h, _ := a.History(ctx, "y", "p"); len(h) != 1 {
		t.Fatalf("y's history: %+v", h)
	}
	all, err := a.Pending(ctx, 10)
	wantPending(t, "after forgetting x", all, err, "y:keep", "x:drop")
}

func testLockExcludes(t *testing.T, a, b outbox.Store) {
	held := lock(t, a, "x", "y")
	for name, s := range map[string]outbox.Store{"same store": a, "second store": b} {
		for _, agents := range [][]string{{"x"}, {"y", "z"}} {
			ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
			ss, err := s.Lock(ctx, agents)
			cancel()
			if err == nil {
				ss.Close()
				t.Fatalf("%s: Lock(%v) succeeded while another session holds it", name, agents)
			}
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("%s: Lock(%v) while held: %v, want a deadline error", name, agents, err)
			}
		}
		// An agent on another lock is not held up (z hashes apart from x and y in both backends).
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		ss, err := s.Lock(ctx, []string{"z"})
		cancel()
		if err != nil {
			t.Fatalf("%s: Lock(z): %v", name, err)
		}
		ss.Close()
	}
	// Waiters get the lock once it is released.
	got := make(chan error, 1)
	go func() {
		ss, err := b.Lock(context.Background(), []string{"y", "x"})
		if err == nil {
			err = ss.Close()
		}
		got <- err
	}()
	select {
	case err := <-got:
		t.Fatalf("second store locked x and y while held: %v", err)
	case <-time.After(100 * time.Millisecond):
	}
	held.Close()
	select {
	case err := <-got:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("waiter never got the lock")
	}
}

func testAppendNeedsLock(t *testing.T, a, _ outbox.Store) {
	ss := lock(t, a, "x")
	if _, err := ss.Append(context.Background(), outbox.Write{Entries: []outbox.Entry{{AgentID: "y", Body: []byte("1")}}}); err == nil {
		t.Fatal("Append of an entry of an agent the session does not lock succeeded")
	}
	if all, err := a.Pending(context.Background(), 10); err != nil || len(all) != 0 {
		t.Fatalf("pending after a refused append: %v %v", all, err)
	}
}

func testCancellation(t *testing.T, a, _ outbox.Store) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := a.Lock(ctx, []string{"x"}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Lock with a cancelled ctx: %v", err)
	}
	ss := lock(t, a, "x")
	if _, err := ss.Append(ctx, outbox.Write{Entries: []outbox.Entry{{AgentID: "x", Body: []byte("1")}}}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Append with a cancelled ctx: %v", err)
	}
	if all, err := a.Pending(context.Background(), 10); err != nil || len(all) != 0 {
		t.Fatalf("pending after a cancelled append: %v %v", all, err)
	}
}
