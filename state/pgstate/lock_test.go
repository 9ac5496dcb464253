package pgstate_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/memsvc/memsvc/state"
)

// TestPageLocksOnlyItsAgent holds one agent's lock in a Page and checks that a Page on another
// agent proceeds, while a Page on the same agent waits until its ctx ends (deadline or cancel),
// without running fn.
func TestPageLocksOnlyItsAgent(t *testing.T) {
	ctx := state.AllTenants(context.Background())
	s := newStore(t)
	now := time.Now().UTC()
	var ids []string
	for range 2 {
		a := state.Agent{ID: state.NewID("ag"), Name: "a", System: "s", ContextWindow: 1000, Model: "m", CreatedAt: now, UpdatedAt: now}
		if err := s.CreateAgent(ctx, a, nil); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, a.ID)
	}
	locked, release, held := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() {
		held <- s.Page(ctx, ids[0], func(ctx context.Context, p state.Page) (state.Change, error) {
			close(locked)
			<-release
			return state.Change{}, nil
		})
	}()
	<-locked
	other := s.Page(ctx, ids[1], func(ctx context.Context, p state.Page) (state.Change, error) {
		c := p.Agent().Context
		c.Warned = true
		return state.Change{Context: &c}, nil
	})
	if other != nil {
		t.Fatalf("page on another agent: %v", other)
	}
	wait, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	err := s.Page(wait, ids[0], func(context.Context, state.Page) (state.Change, error) {
		t.Error("fn ran while another Page held the agent")
		return state.Change{}, nil
	})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("page on a locked agent: %v, want its deadline", err)
	}
	canceled, cancelNow := context.WithCancel(ctx)
	time.AfterFunc(100*time.Millisecond, cancelNow)
	err = s.Page(canceled, ids[0], func(context.Context, state.Page) (state.Change, error) { return state.Change{}, nil })
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("canceled page on a locked agent: %v", err)
	}
	close(release)
	if err := <-held; err != nil {
		t.Fatal(err)
	}
	if err := s.Page(ctx, ids[0], func(context.Context, state.Page) (state.Change, error) { return state.Change{}, nil }); err != nil {
		t.Fatalf("page after release: %v", err)
	}
	if got, err := s.GetAgent(ctx, ids[1]); err != nil || !got.Context.Warned {
		t.Fatalf("other agent: %+v, %v", got.Context, err)
	}
}
