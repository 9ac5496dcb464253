package memarchival

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/memsvc/memsvc/archival"
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
	if err := s.lockWrite(ctx); err != nil {
		return fmt.Errorf("memarchival: upsert: %w", err)
	}
	defer s.unlockWrite()
	rowids, err := s.insert(ctx, rows)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, r := range rows {
		p := r.p
		s.idx.Add(p.AgentID, p.ID, p.Vector)
		e := &entry{agentID: p.AgentID, id: p.ID, rowid: rowids[i], createdAt: p.CreatedAt.UnixNano(),
			validFrom: p.ValidFrom.UnixNano(), status: p.Status, tags: slices.Clone(p.Tags)}
		if p.ValidTo != nil {
			e.validTo, e.hasValidTo = p.ValidTo.UnixNano(), true
		}
		s.setEntry(e)
	}
	return nil
}

// prepare validates p and applies the defaults.
func (s *Store) prepare(p archival.Passage, now time.Time) (row, error) {
	switch {
	case p.ID == "":
		return row{}, fmt.Errorf("empty id: %w", archival.ErrInvalid)
	case p.AgentID == "":
		return row{}, fmt.Errorf("empty agent id: %w", archival.ErrInvalid)
	case p.Text == "":
		return row{}, fmt.Errorf("empty text: %w", archival.ErrInvalid)
	case len(p.Vector) != s.dim:
		return row{}, fmt.Errorf("vector length %d, want %d: %w", len(p.Vector), s.dim, archival.ErrDimensionMismatch)
	}
	if err := checkFinite(p.Vector); err != nil {
		return row{}, err
	}
	if p.CreatedAt.IsZero() {
		p.CreatedAt = now
	}
	if p.ValidFrom.IsZero() {
		p.ValidFrom = p.CreatedAt
	}
	if p.Status == "" {
		p.Status = archival.StatusValid
	}
	if p.Source == "" {
		p.Source = archival.SourceAgent
	}
	if !p.Status.Valid() {
		return row{}, fmt.Errorf("unknown status %q: %w", p.Status, archival.ErrInvalid)
	}
	if !p.Source.Valid() {
		return row{}, fmt.Errorf("unknown source %q: %w", p.Source, archival.ErrInvalid)
	}
	if !representable(p.CreatedAt) || !representable(p.ValidFrom) || (p.ValidTo != nil && !representable(*p.ValidTo)) {
		return row{}, fmt.Errorf("time outside %v..%v: %w", minTime.UTC(), maxTime.UTC(), archival.ErrInvalid)
	}
	md, err := encodeMetadata(p.Metadata)
	if err != nil {
		return row{}, fmt.Errorf("metadata: %v: %w", err, archival.ErrInvalid)
	}
	return row{p: p, tags: encodeTags(p.Tags), metadata: md}, nil
}

// checkFinite returns ErrInvalid for a vector holding NaN or ±Inf, which would poison similarity.
func checkFinite(v []float32) error {
	for i, f := range v {
		if math.IsNaN(float64(f)) || math.IsInf(float64(f), 0) {
			return fmt.Errorf("vector[%d] = %v: %w", i, f, archival.ErrInvalid)
		}
	}
	return nil
}

// upsertSQL replaces every column on conflict. Setting text fires passages_au, which keeps
// passages_fts in step (SQLite runs UPDATE triggers for the DO UPDATE branch of an upsert).
const upsertSQL = `INSERT INTO passages (id, agent_id, text, vector, created_at, valid_from, valid_to,
	status, supersedes, superseded_by, key, source, tags, metadata)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (agent_id, id) DO UPDATE SET text = excluded.text, vector = excluded.vector,
	created_at = excluded.created_at, valid_from = excluded.valid_from, valid_to = excluded.valid_to,
	status = excluded.status, supersedes = excluded.supersedes, superseded_by = excluded.superseded_by,
	key = excluded.key, source = excluded.source, tags = excluded.tags, metadata = excluded.metadata
RETURNING rowid`

// insert writes rows in one transaction and returns their rowids.
func (s *Store) insert(ctx context.Context, rows []row) (rowids []int64, err error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("memarchival: upsert: begin: %w", dbErr(ctx, err))
	}
	defer func() {
		if err != nil {
			tx.Rollback()
		}
	}()
	stmt, err := tx.PrepareContext(ctx, upsertSQL)
	if err != nil {
		return nil, fmt.Errorf("memarchival: upsert: prepare: %w", dbErr(ctx, err))
	}
	defer stmt.Close()
	rowids = make([]int64, len(rows))
	for i, r := range rows {
		p := r.p
		var validTo any
		if p.ValidTo != nil {
			validTo = p.ValidTo.UnixNano()
		}
		if err := stmt.QueryRowContext(ctx, p.ID, p.AgentID, p.Text, encodeVector(p.Vector),
			p.CreatedAt.UnixNano(), p.ValidFrom.UnixNano(), validTo, string(p.Status), p.Supersedes,
			p.SupersededBy, p.Key, string(p.Source), r.tags, r.metadata).Scan(&rowids[i]); err != nil {
			return nil, fmt.Errorf("memarchival: upsert %s: %w", p.ID, dbErr(ctx, err))
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("memarchival: upsert: commit: %w", dbErr(ctx, err))
	}
	return rowids, nil
}
