package pager

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/memsvc/memsvc/archival"
	"github.com/memsvc/memsvc/state"
)

// TestRaceInvalidateAndFlag: a user's invalidation and an agent's claim to supersede the same
// passage (which flags it for review: a read-modify-write of the passage) race; whichever runs
// first, the invalidation is never undone, on both stores.
func TestRaceInvalidateAndFlag(t *testing.T) {
	bothStores(t, func(t *testing.T, svc *Service) {
		ctx := state.WithTenant(context.Background(), state.DefaultTenant)
		a := createAgent(t, svc, 4000)
		for round := range 15 {
			p, err := svc.InsertPassage(ctx, a.ID, PassageInput{Text: fmt.Sprintf("Alice lives in city %d", round), Source: archival.SourceUser})
			if err != nil {
				t.Fatal(err)
			}
			var wg sync.WaitGroup
			wg.Go(func() {
				if _, err := svc.Invalidate(ctx, a.ID, p.ID, "wrong", ""); err != nil {
					t.Error(err)
				}
			})
			wg.Go(func() {
				_, err := svc.InsertPassage(ctx, a.ID, PassageInput{Text: fmt.Sprintf("Alice moved to town %d", round),
					Source: archival.SourceAgent, Supersedes: p.ID})
				if err != nil {
					t.Error(err)
				}
			})
			wg.Wait()
			got, err := svc.GetPassage(ctx, a.ID, p.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Status != archival.StatusInvalidated {
				t.Fatalf("round %d: %s is %s after a concurrent invalidation (lost update)", round, p.ID, got.Status)
			}
		}
	})
}

// TestRaceDeleteAgent: inserts racing the deletion of their agent either fail with not found or
// are removed by it: no passage of a deleted agent is left, on both stores.
func TestRaceDeleteAgent(t *testing.T) {
	bothStores(t, func(t *testing.T, svc *Service) {
		ctx := state.WithTenant(context.Background(), state.DefaultTenant)
		for round := range 8 {
			a := createAgent(t, svc, 4000)
			var wg sync.WaitGroup
			for w := range 4 {
				wg.Go(func() {
					for i := range 5 {
						_, err := svc.InsertPassage(ctx, a.ID, PassageInput{Text: fmt.Sprintf("fact %d of writer %d in round %d", i, w, round)})
						if err != nil && !errors.Is(err, ErrNotFound) {
							t.Error(err)
						}
					}
				})
			}
			wg.Go(func() {
				if err := svc.DeleteAgent(ctx, a.ID); err != nil {
					t.Error(err)
				}
			})
			wg.Wait()
			if n, err := svc.cfg.Archival.Count(ctx, a.ID); err != nil || n != 0 {
				t.Fatalf("round %d: %d passages (err %v) of deleted agent %s left behind", round, n, err, a.ID)
			}
		}
	})
}
