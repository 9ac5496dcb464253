package pgarchival_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/memsvc/memsvc/archival"
)

// TestConcurrentWrites: writers that share agents, ids and keys, in batches spanning several
// agents in random order, deletes and agent deletes, all at once, never deadlock or fail, and
// leave archival_stats exact (newStore checks it at the end) and every key chain resolved.
func TestConcurrentWrites(t *testing.T) {
	s, pool := newStore(t)
	ctx := context.Background()
	agents := []string{"a", "b", "c"}
	var wg sync.WaitGroup
	errs := make(chan error, 1000)
	for w := range 8 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 99))
			for i := range 25 {
				var batch []archival.Passage
				for range 1 + rng.IntN(6) {
					n := rng.IntN(12)
					batch = append(batch, archival.Passage{
						ID: fmt.Sprint("p", n), AgentID: agents[rng.IntN(len(agents))],
						Text: fmt.Sprintf("writer %d round %d says hello %d", w, i, n), Vector: unit(n % dim),
						Key: fmt.Sprint("k", n%3),
					})
				}
				var err error
				switch r := rng.IntN(10); {
				case r < 7:
					err = s.Upsert(ctx, batch)
				case r < 9:
					if err = s.Delete(ctx, batch[0].AgentID, batch[0].ID); err != nil && isNotFound(err) {
						err = nil
					}
				default:
					err = s.DeleteAgent(ctx, batch[0].AgentID)
				}
				if err != nil {
					errs <- err
				}
				if _, err := s.Search(ctx, archival.Query{AgentID: batch[0].AgentID, Text: "hello", Vector: unit(1), K: 5}); err != nil {
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
	rows, err := pool.Query(ctx, `SELECT agent_id, id, key, status, superseded_by, valid_from, valid_to, created_at
		FROM passages WHERE key <> ''`)
	if err != nil {
		t.Fatal(err)
	}
	chains := map[[2]string][]archival.Passage{}
	for rows.Next() {
		var p archival.Passage
		var status string
		if err := rows.Scan(&p.AgentID, &p.ID, &p.Key, &status, &p.SupersededBy, &p.ValidFrom, &p.ValidTo, &p.CreatedAt); err != nil {
			t.Fatal(err)
		}
		p.Status = archival.Status(status)
		k := [2]string{p.AgentID, p.Key}
		chains[k] = append(chains[k], p)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for k, chain := range chains {
		if changed := archival.ResolveKey(chain); len(changed) > 0 {
			t.Errorf("key %v left unresolved: %+v", k, changed)
		}
	}
}

func isNotFound(err error) bool { return errors.Is(err, archival.ErrNotFound) }
