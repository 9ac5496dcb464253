package state

import (
	"context"
	"time"
)

// Idempotent is what a store holds for one Idempotency-Key: the fingerprint of the request that
// claimed it, and its answer once stored (Status 0 while the request is still running).
type Idempotent struct {
	Fingerprint string
	Status      int
	Body        []byte
	ClaimedAt   time.Time
}

// IdempotencyStore keeps Idempotency-Keys, claimed before the write they guard runs, so that one
// key runs once across every process sharing the store. The state stores implement it.
type IdempotencyStore interface {
	// ClaimIdempotency claims key for a request with fingerprint at now, and reports claimed.
	// A key that was never claimed, whose row was claimed before expired (past its retention),
	// or whose claim is still unanswered and older than abandoned (its process died) is claimed
	// anew. Otherwise nothing changes and it returns what the key holds, or a Status of -1 when
	// the key was released while it was being read (the caller claims again).
	ClaimIdempotency(ctx context.Context, key, fingerprint string, now, expired, abandoned time.Time) (prev Idempotent, claimed bool, err error)
	// CompleteIdempotency stores the answer of a claimed key.
	CompleteIdempotency(ctx context.Context, key string, status int, body []byte) error
	// ReleaseIdempotency drops an unanswered claim, so that a retry of the key runs again.
	ReleaseIdempotency(ctx context.Context, key string) error
	// PruneIdempotency deletes the keys claimed before before, and returns how many.
	PruneIdempotency(ctx context.Context, before time.Time) (int64, error)
}
