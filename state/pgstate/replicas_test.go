package pgstate_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/memsvc/memsvc/pgdb"
	"github.com/memsvc/memsvc/pgdb/pgdbtest"
	"github.com/memsvc/memsvc/state"
	"github.com/memsvc/memsvc/state/pgstate"
)

// TestReplicasSerializePages runs two Stores over two pools on one schema, as two memsvc
// processes would, both migrating at start-up concurrently, and appends to one agent from both at
// once: every step reads LastSeq and appends the next, so a step that did not see its
// predecessor's commit would collide or leave a gap.
func TestReplicasSerializePages(t *testing.T) {
	ctx := state.AllTenants(context.Background())
	url := pgdbtest.Schema(t)
	stores := make([]*pgstate.Store, 2)
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i := range stores {
		wg.Go(func() {
			pool, err := pgdb.Open(ctx, pgdb.Config{URL: url, Dim: testDim, Migrate: true})
			if err != nil {
				errs[i] = err
				return
			}
			stores[i] = pgstate.New(pool)
		})
	}
	wg.Wait()
	for i, s := range stores {
		if errs[i] != nil {
			t.Fatalf("open replica %d: %v", i, errs[i])
		}
		t.Cleanup(func() { s.Close() })
	}
	// Opening again migrates nothing and still succeeds.
	pool, err := pgdb.Open(ctx, pgdb.Config{URL: url, Dim: testDim, Migrate: true})
	if err != nil {
		t.Fatalf("migrate again: %v", err)
	}
	pool.Close()

	now := time.Now().UTC()
	a := state.Agent{ID: state.NewID("ag"), Name: "a", System: "sys", ContextWindow: 1000, Model: "m", CreatedAt: now, UpdatedAt: now}
	if err := stores[0].CreateAgent(ctx, a, nil); err != nil {
		t.Fatal(err)
	}
	const perStore, each = 4, 25
	stepErrs := make(chan error, len(stores)*perStore)
	for si, s := range stores {
		for w := range perStore {
			wg.Go(func() {
				for i := range each {
					err := s.Page(ctx, a.ID, func(ctx context.Context, p state.Page) (state.Change, error) {
						c := p.Agent().Context
						c.LastSeq++
						c.InContext++
						c.MessageTokens++
						m := state.Message{ID: state.NewID("msg"), Seq: c.LastSeq, Role: "user",
							Content: fmt.Sprintf("s%d w%d #%d", si, w, i), Tokens: 1, InContext: true, CreatedAt: time.Now()}
						return state.Change{Append: []state.Message{m}, Context: &c}, nil
					})
					if err != nil {
						stepErrs <- fmt.Errorf("store %d worker %d step %d: %w", si, w, i, err)
						return
					}
				}
			})
		}
	}
	wg.Wait()
	close(stepErrs)
	for err := range stepErrs {
		t.Error(err)
	}
	if t.Failed() {
		t.FailNow()
	}
	const total = 2 * perStore * each
	msgs, err := stores[1].ListMessages(ctx, a.ID, 0, 10*total)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != total {
		t.Fatalf("%d messages stored, want %d", len(msgs), total)
	}
	seen := map[string]bool{}
	for i, m := range msgs {
		if m.Seq != int64(i+1) {
			t.Fatalf("seq %d at position %d: seqs must be 1..%d with no gap", m.Seq, i, total)
		}
		if seen[m.Content] {
			t.Fatalf("message %q stored twice", m.Content)
		}
		seen[m.Content] = true
	}
	got, err := stores[0].GetAgent(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if c := got.Context; c.LastSeq != total || c.InContext != total || c.MessageTokens != total {
		t.Fatalf("counters: %+v, want %d each", c, total)
	}
}
