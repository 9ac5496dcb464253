package qdrantarchival_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/memsvc/memsvc/archival"
	"github.com/memsvc/memsvc/archival/outbox"
	"github.com/memsvc/memsvc/archival/qdrantarchival"
	"github.com/memsvc/memsvc/archival/qdrantarchival/qdranttest"
)

// fakeWith returns a store on a fresh protocol server with its outbox exposed, after mod adjusts
// the configuration.
func fakeWith(t *testing.T, mod func(*qdrantarchival.Config)) (*qdrantarchival.Store, *qdranttest.Server, outbox.Store) {
	t.Helper()
	srv := qdranttest.Start(t)
	ob := sqliteOutbox(t, t.TempDir())
	cfg := config(t, srv.Addr, "passages", ob)
	if mod != nil {
		mod(&cfg)
	}
	return open(t, cfg), srv, ob
}

func pending(t *testing.T, ob outbox.Store) int {
	t.Helper()
	es, err := ob.Pending(context.Background(), 1000)
	if err != nil {
		t.Fatal(err)
	}
	return len(es)
}

func searchable(t *testing.T, s archival.Store, agent, id, text string) bool {
	t.Helper()
	hits, err := s.Search(context.Background(), archival.Query{AgentID: agent, Text: text, K: 10})
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range hits {
		if h.Passage.ID == id {
			return true
		}
	}
	return false
}

// TestFailedApplyIsReplayed: when Qdrant fails the write after its intent is committed, Upsert
// reports ErrUnavailable, the intent stays pending, and Drain applies it (with its history, which
// was committed with it).
func TestFailedApplyIsReplayed(t *testing.T) {
	s, srv, ob := fakeWith(t, nil)
	ctx := context.Background()
	srv.FailNext("UpdateBatch", status.Error(codes.Unavailable, "connection reset"))
	err := s.Upsert(ctx, []archival.Passage{{ID: "p", AgentID: "a", Text: "walrus tusks", Vector: axis(0)}})
	wantErr(t, "Upsert whose write to Qdrant failed", err, archival.ErrUnavailable)
	if n := pending(t, ob); n != 1 {
		t.Fatalf("%d pending entries, want 1", n)
	}
	if _, err := s.Get(ctx, "a", "p"); err == nil {
		t.Fatal("the passage reached Qdrant though its write failed")
	}
	if n, err := s.Drain(ctx); n != 1 || err != nil {
		t.Fatalf("Drain: %d %v", n, err)
	}
	if !searchable(t, s, "a", "p", "walrus") || pending(t, ob) != 0 {
		t.Fatal("the drained passage is not searchable, or its entry is still pending")
	}
	h, err := s.History(ctx, "a", "p")
	if err != nil || len(h) != 1 || h[0].Action != archival.ActionCreated {
		t.Fatalf("history %+v %v", h, err)
	}
	if n, err := s.Drain(ctx); n != 0 || err != nil {
		t.Fatalf("second Drain: %d %v", n, err)
	}
}

// TestNextWriteAppliesPendingFirst: an agent's pending entries are applied, in order, before its
// next write reads Qdrant, so the key rule sees every earlier value.
func TestNextWriteAppliesPendingFirst(t *testing.T) {
	s, srv, ob := fakeWith(t, nil)
	ctx := context.Background()
	mk := func(id string, month time.Month) archival.Passage {
		return archival.Passage{ID: id, AgentID: "a", Text: "Alice lives in " + id, Vector: axis(0), Key: "alice/city",
			ValidFrom: time.Date(2024, month, 1, 0, 0, 0, 0, time.UTC)}
	}
	srv.FailNext("UpdateBatch", status.Error(codes.DeadlineExceeded, "slow"))
	wantErr(t, "first upsert", s.Upsert(ctx, []archival.Passage{mk("paris", 3)}), archival.ErrUnavailable)
	srv.ResetRequests()
	upsert(t, s, mk("rome", 9))
	if n := len(batches(srv)); n != 2 {
		t.Fatalf("%d UpdateBatch requests, want the pending one then the new one", n)
	}
	paris, err := s.Get(ctx, "a", "paris")
	if err != nil || paris.Status != archival.StatusSuperseded || paris.SupersededBy != "rome" {
		t.Fatalf("paris %+v %v, want superseded by rome", paris, err)
	}
	if pending(t, ob) != 0 {
		t.Fatal("entries left pending")
	}
}

// TestPeriodicDrain: Start's drain applies a failed write without another write of its agent.
func TestPeriodicDrain(t *testing.T) {
	s, srv, ob := fakeWith(t, nil)
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	srv.FailNext("UpdateBatch", status.Error(codes.Unavailable, "restarting"))
	err := s.Upsert(context.Background(), []archival.Passage{{ID: "p", AgentID: "a", Text: "okapi", Vector: axis(0)}})
	wantErr(t, "Upsert", err, archival.ErrUnavailable)
	deadline := time.Now().Add(5 * time.Second)
	for !searchable(t, s, "a", "p", "okapi") {
		if time.Now().After(deadline) {
			t.Fatal("the periodic drain never applied the write")
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.Stop()
	if pending(t, ob) != 0 {
		t.Fatal("entry still pending")
	}
}

// TestCancelAfterCommit: a caller that gives up once the intent is committed does not leave the
// write half done: it is applied all the same.
func TestCancelAfterCommit(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	s, _, ob := fakeWith(t, func(c *qdrantarchival.Config) { c.AfterAppend = cancel })
	if err := s.Upsert(ctx, []archival.Passage{{ID: "p", AgentID: "a", Text: "quokka", Vector: axis(0)}}); err != nil {
		t.Fatalf("Upsert cancelled after its commit: %v", err)
	}
	if !searchable(t, s, "a", "p", "quokka") || pending(t, ob) != 0 {
		t.Fatal("the write was not carried through")
	}
}

// TestRefusedWriteIsDropped: a write Qdrant refuses as malformed is reported (ErrInvalid) and
// dropped rather than left to block its agent.
func TestRefusedWriteIsDropped(t *testing.T) {
	s, srv, ob := fakeWith(t, nil)
	srv.FailNext("UpdateBatch", status.Error(codes.InvalidArgument, "Validation error in body: payload too large"))
	err := s.Upsert(context.Background(), []archival.Passage{{ID: "p", AgentID: "a", Text: "tapir", Vector: axis(0)}})
	wantErr(t, "Upsert refused by Qdrant", err, archival.ErrInvalid)
	if pending(t, ob) != 0 {
		t.Fatal("a refused write stays pending")
	}
	upsert(t, s, archival.Passage{ID: "q", AgentID: "a", Text: "tapir", Vector: axis(0)})
}

// TestConcurrentWrites: writers sharing agents, ids and keys, with deletes and agent deletes, all
// at once, never fail, leave nothing pending, and leave every key chain resolved.
func TestConcurrentWrites(t *testing.T) {
	s, _, ob := fakeWith(t, nil)
	ctx := context.Background()
	agents := []string{"a", "b", "c"}
	var wg sync.WaitGroup
	errs := make(chan error, 1000)
	for w := range 6 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			for i := range 20 {
				var batch []archival.Passage
				for range 1 + rng.IntN(5) {
					n := rng.IntN(10)
					batch = append(batch, archival.Passage{ID: fmt.Sprint("p", n), AgentID: agents[rng.IntN(len(agents))],
						Text: fmt.Sprintf("writer %d round %d says hello %d", w, i, n), Vector: axis(n % dim),
						Key: fmt.Sprint("k", n%3), ValidFrom: time.Date(2024, 1, 1+rng.IntN(28), 0, 0, 0, 0, time.UTC)})
				}
				var err error
				switch r := rng.IntN(10); {
				case r < 7:
					err = s.Upsert(ctx, batch)
				case r < 9:
					if err = s.Delete(ctx, batch[0].AgentID, batch[0].ID); isNotFound(err) {
						err = nil
					}
				default:
					err = s.DeleteAgent(ctx, batch[0].AgentID)
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
	if n := pending(t, ob); n != 0 {
		t.Fatalf("%d entries pending", n)
	}
	for _, agent := range agents {
		chains := map[string][]archival.Passage{}
		for n := range 10 {
			p, err := s.Get(ctx, agent, fmt.Sprint("p", n))
			if isNotFound(err) {
				continue
			} else if err != nil {
				t.Fatal(err)
			}
			chains[p.Key] = append(chains[p.Key], p)
		}
		for k, chain := range chains {
			if changed := archival.ResolveKey(chain); len(changed) > 0 {
				t.Errorf("agent %s key %s left unresolved: %+v", agent, k, changed)
			}
		}
	}
}

func isNotFound(err error) bool { return err != nil && errors.Is(err, archival.ErrNotFound) }

// TestMultiAgentBatch: a batch spanning agents is one entry per agent. A retryable failure leaves
// the failed entry and the ones after it pending; a refused entry is dropped alone.
func TestMultiAgentBatch(t *testing.T) {
	s, srv, ob := fakeWith(t, nil)
	ctx := context.Background()
	batch := []archival.Passage{
		{ID: "p", AgentID: "a", Text: "ibis", Vector: axis(0)},
		{ID: "p", AgentID: "b", Text: "ibis", Vector: axis(0)},
	}
	srv.FailNext("UpdateBatch", status.Error(codes.Unavailable, "gone"))
	wantErr(t, "Upsert", s.Upsert(ctx, batch), archival.ErrUnavailable)
	if n := pending(t, ob); n != 2 {
		t.Fatalf("%d pending, want both agents' entries", n)
	}
	if n, err := s.Drain(ctx); n != 2 || err != nil {
		t.Fatalf("Drain: %d %v", n, err)
	}
	for _, agent := range []string{"a", "b"} {
		if !searchable(t, s, agent, "p", "ibis") {
			t.Fatalf("agent %s's passage is missing", agent)
		}
	}

	batch[0].ID, batch[1].ID = "q", "q"
	srv.FailNext("UpdateBatch", status.Error(codes.InvalidArgument, "refused"))
	wantErr(t, "Upsert", s.Upsert(ctx, batch), archival.ErrInvalid)
	if pending(t, ob) != 0 || searchable(t, s, "a", "q", "ibis") == searchable(t, s, "b", "q", "ibis") {
		t.Fatal("want the refused entry dropped and the other applied")
	}
}
