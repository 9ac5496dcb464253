package pgstate

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/memsvc/memsvc/state"
)

// ClaimIdempotency claims key (see state.IdempotencyStore). The upsert's row lock makes one of
// two replicas claiming one key at once win; the other reads the winner's claim.
func (s *Store) ClaimIdempotency(ctx context.Context, key, fingerprint string, now, expired, abandoned time.Time) (prev state.Idempotent, claimed bool, err error) {
	var at time.Time
	err = s.pool.QueryRow(ctx, `INSERT INTO idempotency AS i (key, status, body, created_at, fingerprint) VALUES ($1, 0, '', $2, $3)
		ON CONFLICT (key) DO UPDATE SET status = 0, body = '', created_at = excluded.created_at, fingerprint = excluded.fingerprint
		WHERE i.created_at < $4 OR (i.status = 0 AND i.created_at < $5)
		RETURNING created_at`, key, now, fingerprint, expired, abandoned).Scan(&at)
	if err == nil {
		return state.Idempotent{}, true, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return state.Idempotent{}, false, wrap("idempotency claim", err)
	}
	err = s.pool.QueryRow(ctx, `SELECT fingerprint, status, body, created_at FROM idempotency WHERE key = $1`, key).
		Scan(&prev.Fingerprint, &prev.Status, &prev.Body, &prev.ClaimedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		// Released between the two statements: the caller claims again.
		return state.Idempotent{Status: -1}, false, nil
	}
	if err != nil {
		return state.Idempotent{}, false, wrap("idempotency claim", err)
	}
	if prev.Body == nil {
		prev.Body = []byte{}
	}
	return prev, false, nil
}

// CompleteIdempotency stores the answer of a claimed key. A nil body is stored empty.
func (s *Store) CompleteIdempotency(ctx context.Context, key string, status int, body []byte) error {
	if body == nil {
		body = []byte{}
	}
	if _, err := s.pool.Exec(ctx, `UPDATE idempotency SET status = $2, body = $3 WHERE key = $1 AND status = 0`, key, status, body); err != nil {
		return wrap("idempotency complete", err)
	}
	return nil
}

// ReleaseIdempotency drops an unanswered claim.
func (s *Store) ReleaseIdempotency(ctx context.Context, key string) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM idempotency WHERE key = $1 AND status = 0`, key); err != nil {
		return wrap("idempotency release", err)
	}
	return nil
}

// PruneIdempotency deletes the keys claimed before before.
func (s *Store) PruneIdempotency(ctx context.Context, before time.Time) (int64, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM idempotency WHERE created_at < $1`, before)
	if err != nil {
		return 0, wrap("idempotency prune", err)
	}
	return tag.RowsAffected(), nil
}
