package memarchival

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/memsvc/memsvc/archival"
)

// passageColumns are the columns scanPassage reads, in order.
const passageColumns = `id, agent_id, text, vector, created_at, valid_from, valid_to, status,
	supersedes, superseded_by, key, source, tags, metadata, possibly_superseded_by, confidence, context, rowid`

type scanner interface{ Scan(dest ...any) error }

// scanPassage reads one row of passageColumns.
func scanPassage(sc scanner) (archival.Passage, error) {
	p, _, err := scanPassageRow(sc)
	return p, err
}

// scanPassageRow reads one row of passageColumns and its rowid.
func scanPassageRow(sc scanner) (archival.Passage, int64, error) {
	var (
		p                    archival.Passage
		blob                 []byte
		created, validFrom   int64
		validTo              sql.NullInt64
		status, source, tags string
		metadata             sql.NullString
	)
	var rowid int64
	if err := sc.Scan(&p.ID, &p.AgentID, &p.Text, &blob, &created, &validFrom, &validTo, &status,
		&p.Supersedes, &p.SupersededBy, &p.Key, &source, &tags, &metadata, &p.PossiblySupersededBy,
		&p.Confidence, &p.Context, &rowid); err != nil {
		return archival.Passage{}, 0, err
	}
	p.Vector = decodeVector(blob)
	p.CreatedAt, p.ValidFrom = fromNanos(created), fromNanos(validFrom)
	if validTo.Valid {
		t := fromNanos(validTo.Int64)
		p.ValidTo = &t
	}
	p.Status, p.Source = archival.Status(status), archival.Source(source)
	var err error
	if p.Tags, err = decodeTags(tags); err != nil {
		return archival.Passage{}, 0, err
	}
	if metadata.Valid {
		if p.Metadata, err = decodeMetadata(&metadata.String); err != nil {
			return archival.Passage{}, 0, err
		}
	}
	return p, rowid, nil
}

// Get returns one passage of an agent, or ErrNotFound (also when the id belongs to another agent).
func (s *Store) Get(ctx context.Context, agentID, id string) (archival.Passage, error) {
	p, err := scanPassage(s.stmts.QueryRow(ctx, nil, getSQL, agentID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return archival.Passage{}, fmt.Errorf("memarchival: get %s: %w", id, archival.ErrNotFound)
	}
	if err != nil {
		return archival.Passage{}, fmt.Errorf("memarchival: get %s: %w", id, dbErr(ctx, err))
	}
	return p, nil
}

var _ archival.ManyGetter = (*Store)(nil)

// getManyChunk is how many ids one query of GetMany names.
const getManyChunk = 500

// GetMany returns the passages of agentID among ids, by id; missing ones are absent.
func (s *Store) GetMany(ctx context.Context, agentID string, ids []string) (map[string]archival.Passage, error) {
	out := make(map[string]archival.Passage, len(ids))
	for len(ids) > 0 {
		chunk := ids[:min(getManyChunk, len(ids))]
		ids = ids[len(chunk):]
		ps, err := s.getMany(ctx, agentID, chunk)
		if err != nil {
			return nil, fmt.Errorf("memarchival: get many: %w", err)
		}
		for id, p := range ps {
			out[id] = p
		}
	}
	return out, nil
}

// getMany returns the passages of agentID among ids, by id; missing ones are absent.
func (s *Store) getMany(ctx context.Context, agentID string, ids []string) (map[string]archival.Passage, error) {
	args := make([]any, 0, len(ids)+1)
	args = append(args, agentID)
	for _, id := range ids {
		args = append(args, id)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+passageColumns+` FROM passages
		WHERE agent_id = ? AND id IN (?`+strings.Repeat(", ?", len(ids)-1)+`)`, args...)
	if err != nil {
		return nil, dbErr(ctx, err)
	}
	defer rows.Close()
	out := make(map[string]archival.Passage, len(ids))
	for rows.Next() {
		p, err := scanPassage(rows)
		if err != nil {
			return nil, dbErr(ctx, err)
		}
		out[p.ID] = p
	}
	return out, dbErr(ctx, rows.Err())
}

// Delete removes one passage of an agent and its history in one transaction, or returns
// ErrNotFound; when the passage had a key, the key's chain is resolved again in the same
// transaction (archival.ResolveAfterDelete).
func (s *Store) Delete(ctx context.Context, agentID, id string) error {
	if err := s.lockWrite(ctx); err != nil {
		return fmt.Errorf("memarchival: delete %s: %w", id, err)
	}
	defer s.unlockWrite()
	ctx = context.WithoutCancel(ctx) // see writeLocked
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("memarchival: delete %s: %w", id, dbErr(ctx, err))
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it is a no-op
	var key string
	err = tx.QueryRowContext(ctx, `DELETE FROM passages WHERE agent_id = ? AND id = ? RETURNING key`, agentID, id).Scan(&key)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("memarchival: delete %s: %w", id, archival.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("memarchival: delete %s: %w", id, dbErr(ctx, err))
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM passage_history WHERE agent_id = ? AND passage_id = ?`, agentID, id); err != nil {
		return fmt.Errorf("memarchival: delete %s: %w", id, dbErr(ctx, err))
	}
	changed, err := s.afterDelete(ctx, tx, agentID, id, key)
	if err != nil {
		return fmt.Errorf("memarchival: delete %s: %w", id, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("memarchival: delete %s: %w", id, dbErr(ctx, err))
	}
	s.mu.Lock()
	s.idx.Remove(agentID, id)
	s.lex.Remove(agentID, id)
	s.removeEntry(agentID, id)
	s.near.remove(agentID, id)
	s.mu.Unlock()
	s.remember(changed)
	return nil
}

// afterDelete leaves no passage superseded by id, just deleted (of key): keyed passages it
// superseded rejoin their chains, resolved again with the chain of key
// (archival.ResolveAfterDelete), and unkeyed ones are valid again (archival.Unsupersede). It
// stores the changes and their history in tx and returns them.
func (s *Store) afterDelete(ctx context.Context, tx *sql.Tx, agentID, id, key string) ([]written, error) {
	rows, err := tx.QueryContext(ctx, `SELECT `+passageColumns+` FROM passages WHERE agent_id = ? AND superseded_by = ?`, agentID, id)
	if err != nil {
		return nil, dbErr(ctx, err)
	}
	keys := []string{}
	if key != "" {
		keys = append(keys, key)
	}
	var out []written
	var events []archival.Event
	now := time.Now()
	var unkeyed []written
	for rows.Next() {
		p, rowid, err := scanPassageRow(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		if p.Key == "" {
			unkeyed = append(unkeyed, written{p, rowid})
		} else if !slices.Contains(keys, p.Key) {
			keys = append(keys, p.Key)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, dbErr(ctx, err)
	}
	for _, w := range unkeyed {
		c := archival.Unsupersede(w.p, id)
		if _, err := tx.ExecContext(ctx, `UPDATE passages SET status = ?, superseded_by = '', valid_to = NULL WHERE rowid = ?`,
			string(c.Status), w.rowid); err != nil {
			return nil, dbErr(ctx, err)
		}
		if e, ok := archival.Diff(&w.p, c, now); ok {
			events = append(events, e)
		}
		out = append(out, written{c, w.rowid})
	}
	for _, k := range keys {
		kcs, err := resolveKeyWith(ctx, tx, agentID, k, now, func(ps []archival.Passage) []archival.Passage {
			return archival.ResolveAfterDelete(ps, id)
		})
		if err != nil {
			return nil, err
		}
		for _, c := range kcs {
			out = append(out, c.written)
			events = append(events, c.event)
		}
	}
	return out, s.appendHistory(ctx, tx, events)
}

// DeleteAgent removes every passage of an agent and their history in one transaction; an agent
// with none is not an error.
func (s *Store) DeleteAgent(ctx context.Context, agentID string) error {
	if err := s.lockWrite(ctx); err != nil {
		return fmt.Errorf("memarchival: delete agent %s: %w", agentID, err)
	}
	defer s.unlockWrite()
	ctx = context.WithoutCancel(ctx) // see writeLocked
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("memarchival: delete agent %s: %w", agentID, dbErr(ctx, err))
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it is a no-op
	for _, q := range []string{`DELETE FROM passages WHERE agent_id = ?`, `DELETE FROM passage_history WHERE agent_id = ?`} {
		if _, err := tx.ExecContext(ctx, q, agentID); err != nil {
			return fmt.Errorf("memarchival: delete agent %s: %w", agentID, dbErr(ctx, err))
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("memarchival: delete agent %s: %w", agentID, dbErr(ctx, err))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.idx.RemoveAgent(agentID)
	s.lex.RemoveAgent(agentID)
	s.removeAgent(agentID)
	s.near.removeAgent(agentID)
	return nil
}

// Count returns how many passages an agent has.
func (s *Store) Count(ctx context.Context, agentID string) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM passages WHERE agent_id = ?`, agentID).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("memarchival: count %s: %w", agentID, dbErr(ctx, err))
	}
	return n, nil
}

var _ archival.Lister = (*Store)(nil)

// List returns up to limit passages of an agent in insertion order (rowid); the cursor is the last rowid, in decimal.
func (s *Store) List(ctx context.Context, agentID, cursor string, limit int) ([]archival.Passage, string, error) {
	var after int64
	if cursor != "" {
		var err error
		if after, err = strconv.ParseInt(cursor, 10, 64); err != nil {
			return nil, "", fmt.Errorf("memarchival: list: cursor %q: %w", cursor, archival.ErrInvalid)
		}
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+passageColumns+` FROM passages
		WHERE agent_id = ? AND rowid > ? ORDER BY rowid LIMIT ?`, agentID, after, limit)
	if err != nil {
		return nil, "", fmt.Errorf("memarchival: list: %w", dbErr(ctx, err))
	}
	defer rows.Close()
	var out []archival.Passage
	var last int64
	for rows.Next() {
		p, rowid, err := scanPassageRow(rows)
		if err != nil {
			return nil, "", fmt.Errorf("memarchival: list: %w", dbErr(ctx, err))
		}
		out, last = append(out, p), rowid
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("memarchival: list: %w", dbErr(ctx, err))
	}
	if len(out) < limit {
		return out, "", nil
	}
	return out, strconv.FormatInt(last, 10), nil
}

var _ archival.KeyTexter = (*Store)(nil)

// KeyTexts returns the texts of the newest perKey passages of agentID under each of keys, of
// every status, oldest first (archival.KeyTexter), from the (agent_id, key) index.
func (s *Store) KeyTexts(ctx context.Context, agentID string, keys []string, perKey int) (map[string][]string, error) {
	out := map[string][]string{}
	for len(keys) > 0 {
		chunk := keys[:min(getManyChunk, len(keys))]
		keys = keys[len(chunk):]
		args := make([]any, 0, len(chunk)+2)
		args = append(args, agentID)
		for _, k := range chunk {
			args = append(args, k)
		}
		args = append(args, perKey)
		rows, err := s.db.QueryContext(ctx, `SELECT key, text FROM (
				SELECT key, text, valid_from, id,
					row_number() OVER (PARTITION BY key ORDER BY valid_from DESC, id DESC) AS n
				FROM passages
				WHERE agent_id = ? AND key <> '' AND key IN (?`+strings.Repeat(", ?", len(chunk)-1)+`))
			WHERE n <= ? ORDER BY key, valid_from, id`, args...)
		if err != nil {
			return nil, fmt.Errorf("memarchival: key texts: %w", dbErr(ctx, err))
		}
		for rows.Next() {
			var k, text string
			if err := rows.Scan(&k, &text); err != nil {
				rows.Close()
				return nil, fmt.Errorf("memarchival: key texts: %w", dbErr(ctx, err))
			}
			out[k] = append(out[k], text)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("memarchival: key texts: %w", dbErr(ctx, err))
		}
	}
	return out, nil
}
