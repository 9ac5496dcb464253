package archivaltest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/memsvc/memsvc/archival"
)

// testUpdate: Update hands fn the passages as stored (nil for a missing one, in the order asked),
// writes what fn returns with the key rule and history, and stores nothing when fn fails or
// returns a passage of another agent.
func testUpdate(t *testing.T, s archival.Store) {
	ctx := context.Background()
	p := passage("a", "p1", "Alice lives in Paris", axis(s, 0))
	upsert(t, s, p)
	var seen []*archival.Passage
	err := s.Update(ctx, "a", []string{"missing", "p1"}, func(cur []*archival.Passage) ([]archival.Passage, error) {
		seen = cur
		q := *cur[1]
		q.Status, q.Cause = archival.StatusInvalidated, "wrong"
		return []archival.Passage{q}, nil
	})
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
	if len(seen) != 2 || seen[0] != nil || seen[1] == nil || seen[1].Text != p.Text {
		t.Fatalf("fn saw %+v, want [nil, p1]", seen)
	}
	if got := get(t, s, "a", "p1"); got.Status != archival.StatusInvalidated {
		t.Fatalf("after Update: %+v, want invalidated", got)
	}
	if h := history(t, s, "a", "p1"); len(h) != 2 || h[1].ToStatus != archival.StatusInvalidated || h[1].Cause != "wrong" {
		t.Fatalf("history %+v, want creation then the invalidation", h)
	}

	boom := errors.New("boom")
	err = s.Update(ctx, "a", []string{"p1"}, func(cur []*archival.Passage) ([]archival.Passage, error) {
		q := *cur[0]
		q.Status = archival.StatusValid
		return nil, boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update with a failing fn: %v, want it wrapped", err)
	}
	other := passage("b", "p2", "Bob", axis(s, 1))
	err = s.Update(ctx, "a", nil, func([]*archival.Passage) ([]archival.Passage, error) {
		return []archival.Passage{passage("a", "p3", "new", axis(s, 2)), other}, nil
	})
	if !errors.Is(err, archival.ErrInvalid) {
		t.Fatalf("Update writing another agent's passage: %v, want ErrInvalid", err)
	}
	if _, err := s.Get(ctx, "a", "p3"); !errors.Is(err, archival.ErrNotFound) {
		t.Fatalf("a failed Update stored p3: %v", err)
	}
	if got := get(t, s, "a", "p1"); got.Status != archival.StatusInvalidated {
		t.Fatalf("a failed Update changed p1: %+v", got)
	}
	// A new keyed value written through Update goes through the key rule.
	k1 := passage("a", "k1", "Alice lives in Rome", axis(s, 0))
	k1.Key, k1.ValidFrom = "alice/city", date(2024, 1, 1)
	upsert(t, s, k1)
	err = s.Update(ctx, "a", []string{"k1"}, func(cur []*archival.Passage) ([]archival.Passage, error) {
		k2 := passage("a", "k2", "Alice lives in Oslo", axis(s, 0))
		k2.Key, k2.ValidFrom = "alice/city", date(2025, 1, 1)
		return []archival.Passage{k2}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := get(t, s, "a", "k1"); got.Status != archival.StatusSuperseded || got.SupersededBy != "k2" {
		t.Fatalf("k1 after k2 came through Update: %+v", got)
	}
}

// testConcurrentUpdates: concurrent read-modify-writes of one passage lose none of each other's
// changes (each adds a tag; every tag must be there at the end).
func testConcurrentUpdates(t *testing.T, s archival.Store) {
	ctx := context.Background()
	upsert(t, s, passage("a", "p", "a counter", axis(s, 0)))
	const writers, rounds = 6, 5
	var wg sync.WaitGroup
	errs := make(chan error, writers*rounds)
	for w := range writers {
		wg.Go(func() {
			for r := range rounds {
				err := s.Update(ctx, "a", []string{"p"}, func(cur []*archival.Passage) ([]archival.Passage, error) {
					q := *cur[0]
					q.Tags = append(q.Tags, fmt.Sprintf("w%d-%d", w, r))
					return []archival.Passage{q}, nil
				})
				if err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got := get(t, s, "a", "p"); len(got.Tags) != writers*rounds {
		t.Fatalf("%d tags after %d updates: %v (lost updates)", len(got.Tags), writers*rounds, got.Tags)
	}
}

// testDeleteResolvesKey: deleting a key's current value makes the value before it current again,
// with a history entry that names the deletion; deleting a middle value links its neighbours.
func testDeleteResolvesKey(t *testing.T, s archival.Store) {
	ctx := context.Background()
	mk := func(id string, when time.Time) archival.Passage {
		p := passage("a", id, "Alice lives in "+id, axis(s, 0))
		p.Key, p.ValidFrom = "alice/city", when
		return p
	}
	upsert(t, s, mk("paris", date(2024, 1, 1)), mk("rome", date(2024, 6, 1)), mk("berlin", date(2025, 1, 1)))
	if err := s.Delete(ctx, "a", "berlin"); err != nil {
		t.Fatal(err)
	}
	rome := get(t, s, "a", "rome")
	if rome.Status != archival.StatusValid || rome.SupersededBy != "" || rome.ValidTo != nil {
		t.Fatalf("rome after its successor was deleted: %+v, want valid and open", rome)
	}
	h := history(t, s, "a", "rome")
	if last := h[len(h)-1]; last.ToStatus != archival.StatusValid || !strings.Contains(last.Cause, "berlin") {
		t.Fatalf("rome's last history entry %+v, want valid again because berlin was deleted", last)
	}
	if paris := get(t, s, "a", "paris"); paris.Status != archival.StatusSuperseded || paris.SupersededBy != "rome" {
		t.Fatalf("paris: %+v, want still superseded by rome", paris)
	}

	upsert(t, s, mk("oslo", date(2025, 6, 1)))
	if err := s.Delete(ctx, "a", "rome"); err != nil {
		t.Fatal(err)
	}
	paris := get(t, s, "a", "paris")
	if paris.Status != archival.StatusSuperseded || paris.SupersededBy != "oslo" || !paris.ValidTo.Equal(date(2025, 6, 1)) {
		t.Fatalf("paris after the middle value was deleted: %+v, want superseded by oslo from 2025-06-01", paris)
	}
	if oslo := get(t, s, "a", "oslo"); oslo.Status != archival.StatusValid {
		t.Fatalf("oslo: %+v, want valid", oslo)
	}
	// An invalidated passage stays out of the chain when its successor goes.
	x := mk("x", date(2023, 1, 1))
	x.Status = archival.StatusInvalidated
	upsert(t, s, x)
	if err := s.Delete(ctx, "a", "oslo"); err != nil {
		t.Fatal(err)
	}
	if got := get(t, s, "a", "x"); got.Status != archival.StatusInvalidated {
		t.Fatalf("x: %+v, want still invalidated", got)
	}
	if got := get(t, s, "a", "paris"); got.Status != archival.StatusValid {
		t.Fatalf("paris after the last newer value was deleted: %+v, want valid", got)
	}

	// Explicit supersessions: an unkeyed passage superseded by a deleted one is valid again, and
	// a keyed one superseded from outside its key rejoins its chain.
	old := passage("a", "old", "The office is on Elm Street", axis(s, 1))
	old.Status, old.SupersededBy = archival.StatusSuperseded, "fix"
	upsert(t, s, passage("a", "fix", "The office moved to Oak Street", axis(s, 1)), old)
	lisbon := mk("lisbon", date(2026, 1, 1))
	upsert(t, s, lisbon)
	lisbon.Status, lisbon.SupersededBy = archival.StatusSuperseded, "fix"
	upsert(t, s, lisbon)
	if got := get(t, s, "a", "paris"); got.Status != archival.StatusValid {
		t.Fatalf("paris, with the newer lisbon superseded from outside the key: %+v", got)
	}
	if err := s.Delete(ctx, "a", "fix"); err != nil {
		t.Fatal(err)
	}
	if got := get(t, s, "a", "old"); got.Status != archival.StatusValid || got.SupersededBy != "" || got.ValidTo != nil {
		t.Fatalf("old after its successor was deleted: %+v, want valid", got)
	}
	if h := history(t, s, "a", "old"); !strings.Contains(h[len(h)-1].Cause, "fix") {
		t.Fatalf("old's last history entry %+v, want the deletion of fix named", h[len(h)-1])
	}
	if got := get(t, s, "a", "lisbon"); got.Status != archival.StatusValid {
		t.Fatalf("lisbon after its outside successor was deleted: %+v, want the key's current value", got)
	}
	if got := get(t, s, "a", "paris"); got.Status != archival.StatusSuperseded || got.SupersededBy != "lisbon" {
		t.Fatalf("paris once lisbon rejoined the chain: %+v, want superseded by lisbon", got)
	}
}

// testConcurrentKeyChains: writers sharing agents, ids and keys, with upserts, read-modify-write
// invalidations and restores, deletes and agent deletes all at once, never fail and leave every
// key chain as some serial order of them would: resolved (ResolveKey changes nothing), at most
// one valid value per key, and no passage superseded by one that does not exist.
func testConcurrentKeyChains(t *testing.T, s archival.Store) {
	ctx := context.Background()
	agents := []string{"a", "b"}
	const ids = 10
	var wg sync.WaitGroup
	errs := make(chan error, 1000)
	for w := range 6 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			for i := range 20 {
				agent := agents[rng.IntN(len(agents))]
				n := rng.IntN(ids)
				id := fmt.Sprint("p", n)
				var err error
				switch r := rng.IntN(20); {
				case r < 12:
					var batch []archival.Passage
					for range 1 + rng.IntN(3) {
						m := rng.IntN(ids)
						p := passage(agent, fmt.Sprint("p", m), fmt.Sprintf("writer %d round %d value %d", w, i, m), axis(s, m%s.Dim()))
						p.Key = fmt.Sprint("k", m%3)
						p.ValidFrom = date(2024, 1, 1).Add(time.Duration(rng.IntN(1000)) * time.Hour)
						batch = append(batch, p)
					}
					err = s.Upsert(ctx, batch)
				case r < 15:
					err = s.Update(ctx, agent, []string{id}, func(cur []*archival.Passage) ([]archival.Passage, error) {
						if cur[0] == nil {
							return nil, nil
						}
						q := *cur[0]
						if q.Status == archival.StatusInvalidated {
							q.Status, q.Cause = archival.StatusValid, "restored"
						} else {
							q.Status, q.SupersededBy, q.Cause = archival.StatusInvalidated, "", "invalidated"
						}
						return []archival.Passage{q}, nil
					})
				case r < 19:
					if err = s.Delete(ctx, agent, id); errors.Is(err, archival.ErrNotFound) {
						err = nil
					}
				default:
					err = s.DeleteAgent(ctx, agent)
				}
				if err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for _, agent := range agents {
		chains := map[string][]archival.Passage{}
		exists := map[string]bool{}
		for n := range ids {
			p, err := s.Get(ctx, agent, fmt.Sprint("p", n))
			if errors.Is(err, archival.ErrNotFound) {
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			exists[p.ID] = true
			chains[p.Key] = append(chains[p.Key], p)
		}
		for key, chain := range chains {
			if changed := archival.ResolveKey(chain); len(changed) > 0 {
				t.Errorf("agent %s key %s left unresolved: %+v", agent, key, changed)
			}
			valid := 0
			for _, p := range chain {
				if p.Status == archival.StatusValid {
					valid++
				}
				if p.Status == archival.StatusSuperseded && !exists[p.SupersededBy] {
					t.Errorf("agent %s: %s is superseded by %q, which does not exist", agent, p.ID, p.SupersededBy)
				}
			}
			if valid > 1 {
				t.Errorf("agent %s key %s has %d valid values", agent, key, valid)
			}
		}
	}
}
