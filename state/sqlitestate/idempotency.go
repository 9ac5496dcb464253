package sqlitestate

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/memsvc/memsvc/state"
)

// ClaimIdempotency claims key under the write gate (see state.IdempotencyStore).
func (s *Store) ClaimIdempotency(ctx context.Context, key, fingerprint string, now, expired, abandoned time.Time) (prev state.Idempotent, claimed bool, err error) {
	err = s.write(ctx, func() error {
		var created int64
		err := s.db.QueryRowContext(ctx, `INSERT INTO idempotency AS i (key, status, body, created_at, fingerprint) VALUES (?, 0, x'', ?, ?)
			ON CONFLICT (key) DO UPDATE SET status = 0, body = x'', created_at = excluded.created_at, fingerprint = excluded.fingerprint
			WHERE i.created_at < ? OR (i.status = 0 AND i.created_at < ?)
			RETURNING created_at`, key, nanos(now), fingerprint, nanos(expired), nanos(abandoned)).Scan(&created)
		if err == nil {
			claimed = true
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		err = s.db.QueryRowContext(ctx, `SELECT fingerprint, status, body, created_at FROM idempotency WHERE key = ?`, key).
			Scan(&prev.Fingerprint, &prev.Status, &prev.Body, &created)
		prev.ClaimedAt = fromNanos(created)
		if prev.Body == nil {
			prev.Body = []byte{}
		}
		return err
	})
	if err != nil {
		return state.Idempotent{}, false, fmt.Errorf("sqlitestate: idempotency claim: %w", err)
	}
	return prev, claimed, nil
}

// CompleteIdempotency stores the answer of a claimed key. A nil body is stored empty.
func (s *Store) CompleteIdempotency(ctx context.Context, key string, status int, body []byte) error {
	if body == nil {
		body = []byte{}
	}
	err := s.write(ctx, func() error {
		_, err := s.db.ExecContext(ctx, `UPDATE idempotency SET status = ?, body = ? WHERE key = ? AND status = 0`, status, body, key)
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlitestate: idempotency complete: %w", err)
	}
	return nil
}

// ReleaseIdempotency drops an unanswered claim.
func (s *Store) ReleaseIdempotency(ctx context.Context, key string) error {
	err := s.write(ctx, func() error {
		_, err := s.db.ExecContext(ctx, `DELETE FROM idempotency WHERE key = ? AND status = 0`, key)
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlitestate: idempotency release: %w", err)
	}
	return nil
}

// PruneIdempotency deletes the keys claimed before before.
func (s *Store) PruneIdempotency(ctx context.Context, before time.Time) (n int64, err error) {
	err = s.write(ctx, func() error {
		res, err := s.db.ExecContext(ctx, `DELETE FROM idempotency WHERE created_at < ?`, nanos(before))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("sqlitestate: idempotency prune: %w", err)
	}
	return n, nil
}
