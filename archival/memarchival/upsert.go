package memarchival

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/maphash"
	"slices"
	"strings"
	"time"

	"github.com/memsvc/memsvc/archival"
	"github.com/memsvc/memsvc/textproc"
)

// row is a validated passage ready to store, with defaults applied.
type row struct {
	p        archival.Passage
	tags     string
	metadata any // string or nil
}

// Upsert inserts or replaces passages by (agent, id) in one transaction: every field is replaced,
// and defaults apply as for a new passage (CreatedAt zero: now; ValidFrom zero: CreatedAt;
// Status "": valid; Source "": agent). The whole batch is validated first; ErrInvalid for an
// empty id, agent or text, an unknown status or source, a time beyond unix nanoseconds,
// unmarshalable metadata or a non-finite vector; ErrDimensionMismatch for a vector whose length
// is not Dim. On any error nothing of the batch is stored.
func (s *Store) Upsert(ctx context.Context, ps []archival.Passage) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("memarchival: upsert: %w", err)
	}
	now := time.Now()
	rows := make([]row, len(ps))
	for i, p := range ps {
		r, err := s.prepare(p, now)
		if err != nil {
			return fmt.Errorf("memarchival: upsert %s: %w", p.ID, err)
		}
		rows[i] = r
	}
	if len(rows) == 0 {
		return nil
	}
	return s.writeLocked(ctx, "upsert", func(*sql.Tx) ([]row, error) { return rows, nil }, now)
}

// Update reads the passages ids of agentID, hands them to fn and writes what it returns, in one
// transaction under the write gate, held from before the read until the memory copy follows the
// commit (see archival.Store.Update).
func (s *Store) Update(ctx context.Context, agentID string, ids []string, fn func([]*archival.Passage) ([]archival.Passage, error)) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("memarchival: update: %w", err)
	}
	if agentID == "" {
		return fmt.Errorf("memarchival: update: agent id: %w", archival.ErrInvalid)
	}
	now := time.Now()
	return s.writeLocked(ctx, "update", func(tx *sql.Tx) ([]row, error) {
		found, err := readTx(ctx, tx, agentID, ids)
		if err != nil {
			return nil, err
		}
		cur := make([]*archival.Passage, len(ids))
		for i, id := range ids {
			if p, ok := found[id]; ok {
				cur[i] = &p
			}
		}
		out, err := fn(cur)
		if err != nil {
			return nil, err
		}
		rows := make([]row, len(out))
		for i, p := range out {
			if p.AgentID != agentID {
				return nil, fmt.Errorf("passage %s: agent %q is not %q: %w", p.ID, p.AgentID, agentID, archival.ErrInvalid)
			}
			r, err := s.prepare(p, now)
			if err != nil {
				return nil, fmt.Errorf("passage %s: %w", p.ID, err)
			}
			rows[i] = r
		}
		return rows, nil
	}, now)
}

// writeLocked takes the write gate, begins a transaction, asks plan for the rows to write (plan
// may read in the transaction), writes them (see write), commits, and brings the memory copy in
// step before it lets the next writer in.
//
// Then, outside the gate, it links the vectors it added into their agents' graphs
// (vecindex.HNSW.Settle): the writer pays for its own vectors, so a bulk load cannot outrun the
// graph (whose unlinked vectors every search scans), and no other writer waits for it. A backlog
// much larger than its own (a graph just started) is left to the index's background linker.
func (s *Store) writeLocked(ctx context.Context, op string, plan func(*sql.Tx) ([]row, error), now time.Time) error {
	written, err := s.writeGated(ctx, op, plan, now)
	added := map[string]int{}
	for _, w := range written {
		added[w.p.AgentID]++
	}
	for agentID, n := range added {
		s.idx.Settle(agentID, n)
	}
	return err
}

// writeGated is writeLocked's work under the gate; it returns the passages it wrote.
func (s *Store) writeGated(ctx context.Context, op string, plan func(*sql.Tx) ([]row, error), now time.Time) ([]written, error) {
	if err := s.lockWrite(ctx); err != nil {
		return nil, fmt.Errorf("memarchival: %s: %w", op, err)
	}
	defer s.unlockWrite()
	// Once it holds the gate a write runs to its end: SQLite answers an interrupted statement by
	// rolling back the transaction, and the statements after it would run outside one.
	ctx = context.WithoutCancel(ctx)
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("memarchival: %s: begin: %w", op, dbErr(ctx, err))
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it is a no-op
	rows, err := plan(tx)
	if err != nil {
		return nil, fmt.Errorf("memarchival: %s: %w", op, err)
	}
	if len(rows) == 0 {
		return nil, nil
	}
	written, err := s.write(ctx, tx, rows, now)
	if err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("memarchival: %s: commit: %w", op, dbErr(ctx, err))
	}
	s.remember(written)
	return written, nil
}

// remember brings the memory copy in step with passages a committed write left.
// The texts' terms are worked out before taking mu for writing, so searches do not wait on
// them, and a passage rewritten with the same text (a supersession mark, a status change) keeps
// its lexical entry.
func (s *Store) remember(ws []written) {
	sums := make([]uint64, len(ws))
	terms := make([][]string, len(ws))
	s.mu.RLock()
	for i, w := range ws {
		sums[i] = textSum(w.p.LexicalText())
		if s.newText(w.p.AgentID, w.p.ID, sums[i]) {
			terms[i] = textproc.Terms(w.p.LexicalText())
		}
	}
	s.mu.RUnlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, w := range ws {
		p := w.p
		s.idx.Add(p.AgentID, p.ID, p.Vector)
		if s.newText(p.AgentID, p.ID, sums[i]) {
			if terms[i] == nil { // an earlier passage of ws wrote this id with another text
				terms[i] = textproc.Terms(p.LexicalText())
			}
			s.lex.AddTerms(p.AgentID, p.ID, terms[i])
		}
		e := &entry{agentID: p.AgentID, id: p.ID, createdAt: p.CreatedAt.UnixNano(),
			validFrom: p.ValidFrom.UnixNano(), status: p.Status, tags: slices.Clone(p.Tags), textSum: sums[i]}
		if p.ValidTo != nil {
			e.validTo, e.hasValidTo = p.ValidTo.UnixNano(), true
		}
		s.setEntry(e)
		s.near.update(p.AgentID, p.ID, p.Key, p.Text)
	}
}

// newText reports whether a text whose textSum is sum is not what the lexical index holds for
// passage id of agentID. The caller holds mu.
func (s *Store) newText(agentID, id string, sum uint64) bool {
	old := s.meta[agentID][id]
	return old == nil || old.textSum != sum
}

// sumSeed keys textSum: random per process, so no text can be made to collide with another.
var sumSeed = maphash.MakeSeed()

// textSum identifies a text: an entry whose textSum equals that of a text being written holds
// that text in the lexical index already.
func textSum(text string) uint64 { return maphash.String(sumSeed, text) }

// prepare validates p and applies the defaults (archival.Check; memarchival holds any string and
// nanosecond times as they are).
func (s *Store) prepare(p archival.Passage, now time.Time) (row, error) {
	p, err := archival.Check(p, s.dim, now)
	if err != nil {
		return row{}, err
	}
	md, err := encodeMetadata(p.Metadata)
	if err != nil {
		return row{}, fmt.Errorf("metadata: %v: %w", err, archival.ErrInvalid)
	}
	return row{p: p, tags: encodeTags(p.Tags), metadata: md}, nil
}

// upsertSQL replaces every column on conflict.
const upsertSQL = `INSERT INTO passages (id, agent_id, text, vector, created_at, valid_from, valid_to,
	status, supersedes, superseded_by, key, source, tags, metadata, possibly_superseded_by, confidence, context)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (agent_id, id) DO UPDATE SET text = excluded.text, vector = excluded.vector,
	created_at = excluded.created_at, valid_from = excluded.valid_from, valid_to = excluded.valid_to,
	status = excluded.status, supersedes = excluded.supersedes, superseded_by = excluded.superseded_by,
	key = excluded.key, source = excluded.source, tags = excluded.tags, metadata = excluded.metadata,
	possibly_superseded_by = excluded.possibly_superseded_by, confidence = excluded.confidence,
	context = excluded.context
RETURNING rowid`

// written is a passage as a write left it, with its rowid.
type written struct {
	p     archival.Passage
	rowid int64
}

// write stores rows, applies the key rule to every key they touch and appends the history, in
// tx. It returns every passage it wrote or changed, in order of writing.
func (s *Store) write(ctx context.Context, tx *sql.Tx, rows []row, now time.Time) (out []written, err error) {
	stmt, err := tx.PrepareContext(ctx, upsertSQL)
	if err != nil {
		return nil, fmt.Errorf("memarchival: upsert: prepare: %w", dbErr(ctx, err))
	}
	defer stmt.Close()
	type agentKey struct{ agent, key string }
	var keys []agentKey
	seenKey := map[agentKey]bool{}
	addKey := func(agent, key string) {
		if k := (agentKey{agent, key}); key != "" && !seenKey[k] {
			seenKey[k] = true
			keys = append(keys, k)
		}
	}
	var events []archival.Event
	olds, err := s.readOlds(ctx, tx, rows)
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		p := r.p
		var old *archival.Passage
		if olds != nil {
			if o, ok := olds[passageKey{p.AgentID, p.ID}]; ok {
				old = &o
			}
		} else if old, err = s.getTx(ctx, tx, p.AgentID, p.ID); err != nil {
			return nil, fmt.Errorf("memarchival: upsert %s: %w", p.ID, err)
		}
		var validTo any
		if p.ValidTo != nil {
			validTo = p.ValidTo.UnixNano()
		}
		var rowid int64
		if err := stmt.QueryRowContext(ctx, p.ID, p.AgentID, p.Text, encodeVector(p.Vector),
			p.CreatedAt.UnixNano(), p.ValidFrom.UnixNano(), validTo, string(p.Status), p.Supersedes,
			p.SupersededBy, p.Key, string(p.Source), r.tags, r.metadata, p.PossiblySupersededBy,
			p.Confidence, p.Context).Scan(&rowid); err != nil {
			return nil, fmt.Errorf("memarchival: upsert %s: %w", p.ID, dbErr(ctx, err))
		}
		out = append(out, written{p, rowid})
		if e, ok := archival.Diff(old, p, now); ok {
			events = append(events, e)
		}
		addKey(p.AgentID, p.Key)
		if old != nil {
			addKey(old.AgentID, old.Key)
		}
	}
	for _, k := range keys {
		changed, err := resolveKey(ctx, tx, k.agent, k.key, now)
		if err != nil {
			return nil, err
		}
		for _, c := range changed {
			out = append(out, c.written)
			events = append(events, c.event)
		}
	}
	if err := s.appendHistory(ctx, tx, events); err != nil {
		return nil, err
	}
	return out, nil
}

// passageKey names a passage of an agent.
type passageKey struct{ agent, id string }

// readOlds reads, inside tx, the passages rows will replace, as they are before the write, by
// agent and id, with one query per agent and 500 ids. It returns nil when rows name one passage
// twice: the second must then find what the first wrote, so write reads each just before it.
func (s *Store) readOlds(ctx context.Context, tx *sql.Tx, rows []row) (map[passageKey]archival.Passage, error) {
	byAgent := map[string][]string{}
	seen := make(map[passageKey]bool, len(rows))
	for _, r := range rows {
		k := passageKey{r.p.AgentID, r.p.ID}
		if seen[k] {
			return nil, nil
		}
		seen[k] = true
		byAgent[k.agent] = append(byAgent[k.agent], k.id)
	}
	out := make(map[passageKey]archival.Passage, len(rows))
	for agent, ids := range byAgent {
		ps, err := readTx(ctx, tx, agent, ids)
		if err != nil {
			return nil, fmt.Errorf("memarchival: upsert: read: %w", err)
		}
		for id, p := range ps {
			out[passageKey{agent, id}] = p
		}
	}
	return out, nil
}

// readTx reads, inside tx, the passages of agentID among ids, by id (missing ones are absent),
// with one query per 500 ids.
func readTx(ctx context.Context, tx *sql.Tx, agentID string, ids []string) (map[string]archival.Passage, error) {
	out := make(map[string]archival.Passage, len(ids))
	for len(ids) > 0 {
		chunk := ids[:min(getManyChunk, len(ids))]
		ids = ids[len(chunk):]
		args := make([]any, 0, len(chunk)+1)
		args = append(args, agentID)
		for _, id := range chunk {
			args = append(args, id)
		}
		rs, err := tx.QueryContext(ctx, `SELECT `+passageColumns+` FROM passages
			WHERE agent_id = ? AND id IN (?`+strings.Repeat(", ?", len(chunk)-1)+`)`, args...)
		if err != nil {
			return nil, dbErr(ctx, err)
		}
		for rs.Next() {
			p, err := scanPassage(rs)
			if err != nil {
				rs.Close()
				return nil, dbErr(ctx, err)
			}
			out[p.ID] = p
		}
		rs.Close()
		if err := rs.Err(); err != nil {
			return nil, dbErr(ctx, err)
		}
	}
	return out, nil
}

// getSQL reads one passage by agent and id.
const getSQL = `SELECT ` + passageColumns + ` FROM passages WHERE agent_id = ? AND id = ?`

// getTx reads one passage inside tx, or nil when there is none.
func (s *Store) getTx(ctx context.Context, tx *sql.Tx, agentID, id string) (*archival.Passage, error) {
	p, err := scanPassage(s.stmts.QueryRow(ctx, tx, getSQL, agentID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, dbErr(ctx, err)
	}
	return &p, nil
}

type keyChange struct {
	written
	event archival.Event
}

// resolveKey applies archival.ResolveKey to one key of one agent and stores what it changes.
func resolveKey(ctx context.Context, tx *sql.Tx, agentID, key string, now time.Time) ([]keyChange, error) {
	return resolveKeyWith(ctx, tx, agentID, key, now, archival.ResolveKey)
}

// resolveKeyWith is resolveKey with the rule given (archival.ResolveKey, or ResolveAfterDelete).
func resolveKeyWith(ctx context.Context, tx *sql.Tx, agentID, key string, now time.Time, rule func([]archival.Passage) []archival.Passage) ([]keyChange, error) {
	rows, err := tx.QueryContext(ctx, `SELECT `+passageColumns+` FROM passages WHERE agent_id = ? AND key = ?`, agentID, key)
	if err != nil {
		return nil, fmt.Errorf("memarchival: key %s: %w", key, dbErr(ctx, err))
	}
	var ps []archival.Passage
	rowids := map[string]int64{}
	for rows.Next() {
		p, rowid, err := scanPassageRow(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("memarchival: key %s: %w", key, err)
		}
		ps = append(ps, p)
		rowids[p.ID] = rowid
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, dbErr(ctx, err)
	}
	byID := make(map[string]archival.Passage, len(ps))
	for _, p := range ps {
		byID[p.ID] = p
	}
	var out []keyChange
	for _, c := range rule(ps) {
		var validTo any
		if c.ValidTo != nil {
			validTo = c.ValidTo.UnixNano()
		}
		if _, err := tx.ExecContext(ctx, `UPDATE passages SET status = ?, superseded_by = ?, valid_to = ? WHERE rowid = ?`,
			string(c.Status), c.SupersededBy, validTo, rowids[c.ID]); err != nil {
			return nil, fmt.Errorf("memarchival: key %s: %w", key, dbErr(ctx, err))
		}
		old := byID[c.ID]
		e, _ := archival.Diff(&old, c, now)
		out = append(out, keyChange{written{c, rowids[c.ID]}, e})
	}
	return out, nil
}
