package pgarchival

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/memsvc/memsvc/archival"
	"github.com/memsvc/memsvc/archival/pghistory"
)

// Update reads the passages ids of agentID, hands them to fn and writes what it returns, in one
// transaction that holds the agent's write lock from before the read to the commit (see
// archival.Store.Update and lockAgentsSQL). Validation of what fn returns is Upsert's.
func (s *Store) Update(ctx context.Context, agentID string, ids []string, fn func([]*archival.Passage) ([]archival.Passage, error)) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("pgarchival: update: %w", err)
	}
	if !archival.Storable(agentID) {
		return fmt.Errorf("pgarchival: update: agent id: %w", archival.ErrInvalid)
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("pgarchival: update: %w", writeErr(ctx, err))
	}
	defer tx.Rollback(ctx) //nolint:errcheck // after Commit it is a no-op
	if _, err := tx.Exec(ctx, lockAgentsSQL, lockKeys([]string{agentID})); err != nil {
		return fmt.Errorf("pgarchival: update: %w", writeErr(ctx, err))
	}
	cur := make([]*archival.Passage, len(ids))
	byID := map[string]*archival.Passage{}
	if len(ids) > 0 {
		rows, err := tx.Query(ctx, `SELECT `+passageColumns+` FROM passages WHERE agent_id = $1 AND id = ANY($2)`, agentID, storableIDs(ids))
		if err != nil {
			return fmt.Errorf("pgarchival: update: %w", writeErr(ctx, err))
		}
		for rows.Next() {
			p, err := scanPassage(rows)
			if err != nil {
				rows.Close()
				return fmt.Errorf("pgarchival: update: %w", err)
			}
			byID[p.ID] = &p
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("pgarchival: update: %w", writeErr(ctx, err))
		}
	}
	for i, id := range ids {
		if p, ok := byID[id]; ok {
			c := *p
			cur[i] = &c
		}
	}
	out, err := fn(cur)
	if err != nil {
		return fmt.Errorf("pgarchival: update: %w", err)
	}
	now := time.Now().Truncate(time.Microsecond)
	rows := make([]archival.Passage, 0, len(out))
	for _, p := range out {
		if p.AgentID != agentID {
			return fmt.Errorf("pgarchival: update %s: agent %q is not %q: %w", p.ID, p.AgentID, agentID, archival.ErrInvalid)
		}
		p, err := archival.Prepare(p, s.dim, now)
		if err != nil {
			return fmt.Errorf("pgarchival: update %s: %w", p.ID, err)
		}
		rows = append(rows, p)
	}
	if len(rows) == 0 {
		return nil
	}
	if err := s.writeLocked(ctx, tx, rows, now); err != nil {
		return fmt.Errorf("pgarchival: update: %w", writeErr(ctx, err))
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("pgarchival: update: %w", writeErr(ctx, err))
	}
	return nil
}

// storableIDs drops the ids PostgreSQL cannot hold (they name no passage).
func storableIDs(ids []string) []string {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if archival.Storable(id) {
			out = append(out, id)
		}
	}
	return out
}

// deleteLocked deletes one passage and its history inside tx, whose caller holds the agent's
// lock, and resolves its key's chain again (archival.ResolveAfterDelete). It returns ErrNotFound
// when there is no such passage.
func deleteLocked(ctx context.Context, tx pgx.Tx, agentID, id string) error {
	var key string
	err := tx.QueryRow(ctx, `DELETE FROM passages WHERE agent_id = $1 AND id = $2 RETURNING key`, agentID, id).Scan(&key)
	if errors.Is(err, pgx.ErrNoRows) {
		return archival.ErrNotFound
	}
	if err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `DELETE FROM passage_history WHERE agent_id = $1 AND passage_id = $2`, agentID, id); err != nil {
		return err
	}
	// The passages it superseded: keyed ones rejoin their chains, unkeyed ones are valid again.
	var orphans []archival.Passage
	rows, err := tx.Query(ctx, `SELECT `+stateColumns+` FROM passages WHERE agent_id = $1 AND superseded_by = $2`, agentID, id)
	if err != nil {
		return err
	}
	if err := readStates(rows, func(p archival.Passage) { orphans = append(orphans, p) }); err != nil {
		return err
	}
	keys := []string{}
	if key != "" {
		keys = append(keys, key)
	}
	var changed []archival.Passage
	var before []archival.Passage
	for _, o := range orphans {
		if o.Key == "" {
			changed, before = append(changed, archival.Unsupersede(o, id)), append(before, o)
		} else if !slices.Contains(keys, o.Key) {
			keys = append(keys, o.Key)
		}
	}
	for _, k := range keys {
		var chain []archival.Passage
		rows, err := tx.Query(ctx, `SELECT `+stateColumns+` FROM passages WHERE agent_id = $1 AND key = $2`, agentID, k)
		if err != nil {
			return err
		}
		if err := readStates(rows, func(p archival.Passage) { chain = append(chain, p) }); err != nil {
			return err
		}
		for _, c := range archival.ResolveAfterDelete(chain, id) {
			i := slices.IndexFunc(chain, func(p archival.Passage) bool { return p.ID == c.ID })
			changed, before = append(changed, c), append(before, chain[i])
		}
	}
	if len(changed) == 0 {
		return nil
	}
	now := time.Now().Truncate(time.Microsecond)
	var events []archival.Event
	for i, c := range changed {
		if e, ok := archival.Diff(&before[i], c, now); ok {
			events = append(events, e)
		}
	}
	b := &pgx.Batch{}
	b.Queue(resolveSQL, resolveArgs(changed)...)
	pghistory.Queue(b, events)
	return tx.SendBatch(ctx, b).Close()
}
