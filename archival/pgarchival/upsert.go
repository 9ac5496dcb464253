package pgarchival

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/memsvc/memsvc/archival"
)

// Upsert inserts or replaces passages by (agent, id) in one transaction: every field is replaced,
// and defaults apply as for a new passage (CreatedAt zero: now; ValidFrom zero: CreatedAt;
// Status "": valid; Source "": agent). When a batch holds one passage twice, the later one wins.
// In the same transaction it applies the key rule (archival.ResolveKey) to every key the batch
// touches and appends the history (archival.Diff), as memarchival does (see write).
//
// The whole batch is validated first; ErrInvalid for an empty id, agent or text, an unknown
// status or source, a time beyond unix nanoseconds (as memarchival), unmarshalable metadata, a
// non-finite vector, or a string PostgreSQL cannot store (invalid UTF-8, NUL);
// ErrDimensionMismatch for a vector whose length is not Dim. On any error nothing of the batch
// is stored.
func (s *Store) Upsert(ctx context.Context, ps []archival.Passage) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("pgarchival: upsert: %w", err)
	}
	now := time.Now().Truncate(time.Microsecond)
	rows := make([]archival.Passage, 0, len(ps))
	for _, p := range ps {
		p, err := s.prepare(p, now)
		if err != nil {
			return fmt.Errorf("pgarchival: upsert %s: %w", p.ID, err)
		}
		rows = append(rows, p)
	}
	if len(rows) == 0 {
		return nil
	}
	if err := s.write(ctx, rows, now); err != nil {
		return fmt.Errorf("pgarchival: upsert: %w", writeErr(ctx, err))
	}
	return nil
}

// prepare validates p and applies the defaults; times are truncated to microseconds.
func (s *Store) prepare(p archival.Passage, now time.Time) (archival.Passage, error) {
	switch {
	case p.ID == "":
		return p, fmt.Errorf("empty id: %w", archival.ErrInvalid)
	case p.AgentID == "":
		return p, fmt.Errorf("empty agent id: %w", archival.ErrInvalid)
	case p.Text == "":
		return p, fmt.Errorf("empty text: %w", archival.ErrInvalid)
	case len(p.Vector) != s.dim:
		return p, fmt.Errorf("vector length %d, want %d: %w", len(p.Vector), s.dim, archival.ErrDimensionMismatch)
	}
	if err := checkFinite(p.Vector); err != nil {
		return p, err
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
		return p, fmt.Errorf("unknown status %q: %w", p.Status, archival.ErrInvalid)
	}
	if !p.Source.Valid() {
		return p, fmt.Errorf("unknown source %q: %w", p.Source, archival.ErrInvalid)
	}
	if !representable(p.CreatedAt) || !representable(p.ValidFrom) || (p.ValidTo != nil && !representable(*p.ValidTo)) {
		return p, fmt.Errorf("time outside %v..%v: %w", minTime.UTC(), maxTime.UTC(), archival.ErrInvalid)
	}
	for _, str := range append([]string{p.ID, p.AgentID, p.Text, p.Supersedes, p.SupersededBy, p.Key,
		p.PossiblySupersededBy, p.Cause}, p.Tags...) {
		if !storable(str) {
			return p, fmt.Errorf("string %q is not valid UTF-8 without NUL: %w", str, archival.ErrInvalid)
		}
	}
	if math.IsNaN(p.Confidence) || math.IsInf(p.Confidence, 0) {
		return p, fmt.Errorf("confidence %v: %w", p.Confidence, archival.ErrInvalid)
	}
	if _, err := json.Marshal(p.Metadata); err != nil {
		return p, fmt.Errorf("metadata: %v: %w", err, archival.ErrInvalid)
	}
	p.CreatedAt = p.CreatedAt.Truncate(time.Microsecond)
	p.ValidFrom = p.ValidFrom.Truncate(time.Microsecond)
	if p.ValidTo != nil {
		t := p.ValidTo.Truncate(time.Microsecond)
		p.ValidTo = &t
	}
	return p, nil
}

// The instants memarchival can hold (unix nanoseconds); both stores accept the same times.
var (
	minTime = time.Unix(0, math.MinInt64)
	maxTime = time.Unix(0, math.MaxInt64)
)

func representable(t time.Time) bool { return !t.Before(minTime) && !t.After(maxTime) }

// checkFinite returns ErrInvalid for a vector holding NaN or ±Inf, which would poison similarity.
func checkFinite(v []float32) error {
	for i, f := range v {
		if math.IsNaN(float64(f)) || math.IsInf(float64(f), 0) {
			return fmt.Errorf("vector[%d] = %v: %w", i, f, archival.ErrInvalid)
		}
	}
	return nil
}
