package sqlitestate

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Lookup returns the answer stored for an idempotency key.
func (s *Store) Lookup(ctx context.Context, key string) (status int, body []byte, ok bool, err error) {
	err = s.db.QueryRowContext(ctx, `SELECT status, body FROM idempotency WHERE key = ?`, key).Scan(&status, &body)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil, false, nil
	}
	if err != nil {
		return 0, nil, false, fmt.Errorf("sqlitestate: idempotency lookup: %w", err)
	}
	return status, body, true, nil
}

// Save stores the answer for an idempotency key; the first answer wins. A nil body is empty.
func (s *Store) Save(ctx context.Context, key string, status int, body []byte) error {
	if body == nil {
		body = []byte{}
	}
	err := s.write(ctx, func() error {
		_, err := s.db.ExecContext(ctx, `INSERT INTO idempotency (key, status, body, created_at) VALUES (?,?,?,?)
		ON CONFLICT (key) DO NOTHING`, key, status, body, time.Now().UnixNano())
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlitestate: idempotency save: %w", err)
	}
	return nil
}
