package pgstate

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
)

// Lookup returns the answer stored for an idempotency key; ok is false when there is none.
func (s *Store) Lookup(ctx context.Context, key string) (status int, body []byte, ok bool, err error) {
	err = s.pool.QueryRow(ctx, `SELECT status, body FROM idempotency WHERE key = $1`, key).Scan(&status, &body)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil, false, nil
	}
	if err != nil {
		return 0, nil, false, wrap("idempotency lookup", err)
	}
	if body == nil {
		body = []byte{}
	}
	return status, body, true, nil
}

// Save stores the answer for an idempotency key; the first answer wins, also between replicas
// racing on the same key. A nil body is stored empty.
func (s *Store) Save(ctx context.Context, key string, status int, body []byte) error {
	if body == nil {
		body = []byte{}
	}
	if _, err := s.pool.Exec(ctx, `INSERT INTO idempotency (key, status, body, created_at) VALUES ($1, $2, $3, now())
		ON CONFLICT (key) DO NOTHING`, key, status, body); err != nil {
		return wrap("idempotency save", err)
	}
	return nil
}
