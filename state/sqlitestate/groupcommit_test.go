package sqlitestate_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/memsvc/memsvc/sqlitedb"
	"github.com/memsvc/memsvc/state"
	"github.com/memsvc/memsvc/state/sqlitestate"
)

// TestRaceGroupCommitAnswers: appends whose contexts end at random moments, while other appends
// share their group commits. Every append answered nil is stored, and none answered with an
// error is: a step that committed is never answered "error", whatever its context did meanwhile.
func TestRaceGroupCommitAnswers(t *testing.T) {
	ctx := state.AllTenants(context.Background())
	db, err := sqlitedb.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	s := sqlitestate.New(db)
	defer s.Close()
	now := time.Now().UTC().Truncate(time.Microsecond)
	a := state.Agent{ID: state.NewID("ag"), Name: "a", ContextWindow: 1 << 20, Model: "gpt-4o",
		Pager: state.PagerConfig{WarnRatio: 0.7, FlushRatio: 1, TargetRatio: 0.5, KeepLast: 4}, CreatedAt: now, UpdatedAt: now}
	if err := s.CreateAgent(ctx, a, nil); err != nil {
		t.Fatal(err)
	}
	var (
		mu      sync.Mutex
		answers = map[string]error{}
		wg      sync.WaitGroup
	)
	for w := range 8 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 3))
			for i := range 40 {
				text := fmt.Sprintf("w%d-%d", w, i)
				cctx, cancel := context.WithCancel(ctx)
				if rng.IntN(2) == 0 {
					time.AfterFunc(time.Duration(rng.IntN(400))*time.Microsecond, cancel)
				}
				err := s.Page(cctx, a.ID, func(ctx context.Context, p state.Page) (state.Change, error) {
					c := p.Agent().Context
					c.LastSeq++
					c.InContext++
					m := state.Message{ID: state.NewID("msg"), AgentID: a.ID, Seq: c.LastSeq, Role: "user",
						Content: text, Tokens: 1, InContext: true, CreatedAt: time.Now().UTC()}
					return state.Change{Append: []state.Message{m}, Context: &c}, nil
				})
				cancel()
				mu.Lock()
				answers[text] = err
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	msgs, err := s.ListMessages(ctx, a.ID, 0, 10000)
	if err != nil {
		t.Fatal(err)
	}
	stored := map[string]bool{}
	for _, m := range msgs {
		stored[m.Content] = true
	}
	failed := 0
	for text, err := range answers {
		switch {
		case err == nil && !stored[text]:
			t.Errorf("%s was acknowledged but is not stored", text)
		case err != nil && stored[text]:
			t.Errorf("%s is stored but its caller was answered %v", text, err)
		case err != nil:
			failed++
		}
	}
	t.Logf("%d of %d appends were cancelled before they committed", failed, len(answers))
}
