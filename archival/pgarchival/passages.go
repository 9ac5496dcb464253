package pgarchival

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/pgvector/pgvector-go"

	"github.com/memsvc/memsvc/archival"
)

// passageColumns are the columns scanPassage reads, in order.
const passageColumns = `id, agent_id, text, embedding, created_at, valid_from, valid_to, status,
	supersedes, superseded_by, key, source, tags, metadata, possibly_superseded_by, confidence, context`

// scanPassage reads one row of passageColumns, then scans any further columns into extra.
// Times come back in UTC, tags never nil.
func scanPassage(row pgx.Row, extra ...any) (archival.Passage, error) {
	var (
		p              archival.Passage
		vec            pgvector.Vector
		validTo        *time.Time
		status, source string
		metadata       []byte
	)
	dest := append([]any{&p.ID, &p.AgentID, &p.Text, &vec, &p.CreatedAt, &p.ValidFrom, &validTo, &status,
		&p.Supersedes, &p.SupersededBy, &p.Key, &source, &p.Tags, &metadata, &p.PossiblySupersededBy,
		&p.Confidence, &p.Context}, extra...)
	if err := row.Scan(dest...); err != nil {
		return archival.Passage{}, err
	}
	p.Vector = vec.Slice()
	p.CreatedAt, p.ValidFrom = p.CreatedAt.UTC(), p.ValidFrom.UTC()
	if validTo != nil {
		t := validTo.UTC()
		p.ValidTo = &t
	}
	p.Status, p.Source = archival.Status(status), archival.Source(source)
	if p.Tags == nil {
		p.Tags = []string{}
	}
	if metadata != nil {
		if err := json.Unmarshal(metadata, &p.Metadata); err != nil {
			return archival.Passage{}, fmt.Errorf("decode metadata: %w", err)
		}
	}
	return p, nil
}

// Get returns one passage of an agent, or ErrNotFound (also when the id belongs to another agent).
func (s *Store) Get(ctx context.Context, agentID, id string) (archival.Passage, error) {
	if err := ctx.Err(); err != nil {
		return archival.Passage{}, fmt.Errorf("pgarchival: get %s: %w", id, err)
	}
	if !archival.Storable(agentID) || !archival.Storable(id) {
		return archival.Passage{}, fmt.Errorf("pgarchival: get %s: %w", id, archival.ErrNotFound)
	}
	p, err := scanPassage(s.pool.QueryRow(ctx, `SELECT `+passageColumns+` FROM passages
		WHERE agent_id = $1 AND id = $2`, agentID, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return archival.Passage{}, fmt.Errorf("pgarchival: get %s: %w", id, archival.ErrNotFound)
	}
	if err != nil {
		return archival.Passage{}, fmt.Errorf("pgarchival: get %s: %w", id, dbErr(ctx, err))
	}
	return p, nil
}

// Delete removes one passage of an agent and its history, or returns ErrNotFound, in one
// transaction holding the agent's write lock (see lockAgentsSQL); when the passage had a key, the
// key's chain is resolved again in it (archival.ResolveAfterDelete).
func (s *Store) Delete(ctx context.Context, agentID, id string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("pgarchival: delete %s: %w", id, err)
	}
	if !archival.Storable(agentID) || !archival.Storable(id) {
		return fmt.Errorf("pgarchival: delete %s: %w", id, archival.ErrNotFound)
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, lockAgentsSQL, lockKeys([]string{agentID})); err != nil {
			return err
		}
		return deleteLocked(ctx, tx, agentID, id)
	})
	if errors.Is(err, archival.ErrNotFound) {
		return fmt.Errorf("pgarchival: delete %s: %w", id, archival.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("pgarchival: delete %s: %w", id, writeErr(ctx, err))
	}
	return nil
}

// DeleteAgent removes every passage of an agent and their history, in one transaction holding
// the agent's write lock; an agent with none is not an error.
func (s *Store) DeleteAgent(ctx context.Context, agentID string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("pgarchival: delete agent %s: %w", agentID, err)
	}
	if !archival.Storable(agentID) {
		return nil
	}
	b := &pgx.Batch{}
	b.Queue(lockAgentsSQL, lockKeys([]string{agentID}))
	b.Queue(`DELETE FROM passages WHERE agent_id = $1`, agentID)
	b.Queue(`DELETE FROM passage_history WHERE agent_id = $1`, agentID)
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error { return tx.SendBatch(ctx, b).Close() })
	if err != nil {
		return fmt.Errorf("pgarchival: delete agent %s: %w", agentID, writeErr(ctx, err))
	}
	return nil
}

// Count returns how many passages an agent has, from archival_stats (kept by triggers in the
// writing transaction, so it agrees with count(*) in every snapshot).
func (s *Store) Count(ctx context.Context, agentID string) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("pgarchival: count %s: %w", agentID, err)
	}
	if !archival.Storable(agentID) {
		return 0, nil
	}
	var n int
	if err := s.pool.QueryRow(ctx, `SELECT coalesce((SELECT n FROM archival_stats WHERE agent_id = $1), 0)`, agentID).Scan(&n); err != nil {
		return 0, fmt.Errorf("pgarchival: count %s: %w", agentID, dbErr(ctx, err))
	}
	return n, nil
}

var _ archival.Lister = (*Store)(nil)

// List returns up to limit passages of an agent by ID (by which lexical search breaks ties);
// the cursor is the last ID.
func (s *Store) List(ctx context.Context, agentID, cursor string, limit int) ([]archival.Passage, string, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+passageColumns+` FROM passages
		WHERE agent_id = $1 AND id > $2 ORDER BY id LIMIT $3`, agentID, cursor, limit)
	if err != nil {
		return nil, "", fmt.Errorf("pgarchival: list: %w", dbErr(ctx, err))
	}
	defer rows.Close()
	var out []archival.Passage
	for rows.Next() {
		p, err := scanPassage(rows)
		if err != nil {
			return nil, "", fmt.Errorf("pgarchival: list: %w", dbErr(ctx, err))
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("pgarchival: list: %w", dbErr(ctx, err))
	}
	if len(out) < limit {
		return out, "", nil
	}
	return out, out[len(out)-1].ID, nil
}

var _ archival.KeyTexter = (*Store)(nil)

// KeyTexts returns the texts of the newest perKey passages of agentID under each of keys, of
// every status, oldest first (archival.KeyTexter), in one query on the (agent_id, key) index.
func (s *Store) KeyTexts(ctx context.Context, agentID string, keys []string, perKey int) (map[string][]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT key, text FROM (
			SELECT key, text, valid_from, id,
				row_number() OVER (PARTITION BY key ORDER BY valid_from DESC, id COLLATE "C" DESC) AS n
			FROM passages
			WHERE agent_id = $1 AND key <> '' AND key = ANY($2)) t
		WHERE n <= $3 ORDER BY key, valid_from, id COLLATE "C"`, agentID, keys, perKey)
	if err != nil {
		return nil, fmt.Errorf("pgarchival: key texts: %w", dbErr(ctx, err))
	}
	defer rows.Close()
	out := map[string][]string{}
	for rows.Next() {
		var k, text string
		if err := rows.Scan(&k, &text); err != nil {
			return nil, fmt.Errorf("pgarchival: key texts: %w", dbErr(ctx, err))
		}
		out[k] = append(out[k], text)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("pgarchival: key texts: %w", dbErr(ctx, err))
	}
	return out, nil
}
