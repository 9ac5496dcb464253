package sqlitestate_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/memsvc/memsvc/sqlitedb"
	"github.com/memsvc/memsvc/state"
	"github.com/memsvc/memsvc/state/sqlitestate"
)

// TestConcurrentRecallIndex: recall searches that load an agent's lexical index race appends to
// it; once they are done, every appended message is found, by this store and by a new one opened
// over the same database (which loads the index from the table).
func TestConcurrentRecallIndex(t *testing.T) {
	ctx := state.AllTenants(context.Background())
	dir := t.TempDir()
	db, err := sqlitedb.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	s := sqlitestate.New(db)
	now := time.Now().UTC()
	a := state.Agent{ID: state.NewID("ag"), Name: "a", ContextWindow: 100000, CreatedAt: now, UpdatedAt: now,
		Pager: state.PagerConfig{WarnRatio: 0.7, FlushRatio: 1, TargetRatio: 0.5, KeepLast: 4}}
	if err := s.CreateAgent(ctx, a, nil); err != nil {
		t.Fatal(err)
	}
	const writers, perWriter = 4, 25
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWriter {
				err := s.Page(ctx, a.ID, func(_ context.Context, p state.Page) (state.Change, error) {
					c := p.Agent().Context
					c.LastSeq++
					m := state.Message{ID: state.NewID("msg"), AgentID: a.ID, Seq: c.LastSeq, Role: "user",
						Content: fmt.Sprintf("zebra note %d from writer %d", i, w), Tokens: 5, CreatedAt: time.Now().UTC()}
					return state.Change{Append: []state.Message{m}, Context: &c}, nil
				})
				if err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 20 {
				if _, err := s.SearchMessages(ctx, state.RecallQuery{AgentID: a.ID, Text: "zebra", K: 10}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	count := func(s *sqlitestate.Store) int {
		hits, err := s.SearchMessages(ctx, state.RecallQuery{AgentID: a.ID, Text: "zebra", K: 100})
		if err != nil {
			t.Fatal(err)
		}
		return len(hits)
	}
	// RecallDepth(100) is beyond the 100 messages, so every match comes back.
	if n := count(s); n != writers*perWriter {
		t.Fatalf("after the race: %d messages found, want %d", n, writers*perWriter)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	db, err = sqlitedb.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	reopened := sqlitestate.New(db)
	defer reopened.Close()
	if n := count(reopened); n != writers*perWriter {
		t.Fatalf("after reopening: %d messages found, want %d", n, writers*perWriter)
	}
}
