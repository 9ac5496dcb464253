package statetest

import (
	"context"
	"testing"
	"time"

	"github.com/memsvc/memsvc/state"
)

// Idempotency checks a store's Idempotency-Keys: a claim is won once; a second claim sees the
// first's fingerprint and, once completed, its answer (the first answer wins); a released claim
// can be claimed again; an expired key or an abandoned claim is claimed anew; pruning removes
// the keys claimed before the cut-off only.
func Idempotency(t *testing.T, s state.IdempotencyStore) {
	ctx := state.AllTenants(context.Background())
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	long := t0.Add(-24 * time.Hour)
	claim := func(key, fp string, now, expired, abandoned time.Time) (state.Idempotent, bool) {
		t.Helper()
		prev, ok, err := s.ClaimIdempotency(ctx, key, fp, now, expired, abandoned)
		if err != nil {
			t.Fatal(err)
		}
		return prev, ok
	}
	if _, ok := claim("k", "fp1", t0, long, long); !ok {
		t.Fatal("the first claim of a key must win")
	}
	prev, ok := claim("k", "fp2", t0.Add(time.Second), long, long)
	if ok || prev.Fingerprint != "fp1" || prev.Status != 0 {
		t.Fatalf("second claim: claimed=%v prev=%+v, want the first's running claim", ok, prev)
	}
	if err := s.CompleteIdempotency(ctx, "k", 201, []byte(`{"a":1}`)); err != nil {
		t.Fatal(err)
	}
	if err := s.CompleteIdempotency(ctx, "k", 200, []byte(`{"a":2}`)); err != nil {
		t.Fatal(err)
	}
	prev, ok = claim("k", "fp1", t0.Add(2*time.Second), long, long)
	if ok || prev.Status != 201 || string(prev.Body) != `{"a":1}` {
		t.Fatalf("after completion: claimed=%v prev=%+v, want the first answer", ok, prev)
	}
	// An answered key is not abandoned, however old its claim, until it expires.
	if _, ok := claim("k", "fp1", t0.Add(time.Hour), long, t0.Add(time.Minute)); ok {
		t.Fatal("an answered key was claimed again before it expired")
	}
	if _, ok := claim("k", "fp3", t0.Add(25*time.Hour), t0.Add(time.Hour), long); !ok {
		t.Fatal("an expired key must be claimed anew")
	}

	if _, ok := claim("r", "fp", t0, long, long); !ok {
		t.Fatal("claim r")
	}
	if err := s.ReleaseIdempotency(ctx, "r"); err != nil {
		t.Fatal(err)
	}
	if _, ok := claim("r", "fp", t0, long, long); !ok {
		t.Fatal("a released key must be claimed again")
	}
	if _, ok := claim("r", "fp", t0.Add(time.Hour), long, t0.Add(time.Minute)); !ok {
		t.Fatal("an abandoned claim must be claimed again")
	}
	if _, ok := claim("e", "fp", t0, long, long); !ok {
		t.Fatal("claim e")
	}
	if err := s.CompleteIdempotency(ctx, "e", 204, nil); err != nil {
		t.Fatal(err)
	}
	if prev, _ := claim("e", "fp", t0, long, long); prev.Status != 204 || prev.Body == nil || len(prev.Body) != 0 {
		t.Fatalf("nil body: %+v", prev)
	}

	if _, ok := claim("old", "fp", t0.Add(-48*time.Hour), long.Add(-48*time.Hour), long.Add(-48*time.Hour)); !ok {
		t.Fatal("claim old")
	}
	n, err := s.PruneIdempotency(ctx, long)
	if err != nil || n != 1 {
		t.Fatalf("prune: %d, %v; want the one old key", n, err)
	}
	if prev, ok := claim("e", "fp", t0, long, long); ok || prev.Status != 204 {
		t.Fatalf("prune removed a live key: %+v %v", prev, ok)
	}
}
