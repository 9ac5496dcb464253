package archival

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"
)

// The instants every backend accepts: those unix nanoseconds (an int64) can hold, memarchival's
// encoding.
var (
	minTime = time.Unix(0, math.MinInt64)
	maxTime = time.Unix(0, math.MaxInt64)
)

// Representable reports whether t is an instant every backend can store (see minTime).
func Representable(t time.Time) bool { return !t.Before(minTime) && !t.After(maxTime) }

// CheckFinite returns ErrInvalid for a vector holding NaN or ±Inf, which would poison similarity.
func CheckFinite(v []float32) error {
	for i, f := range v {
		if math.IsNaN(float64(f)) || math.IsInf(float64(f), 0) {
			return fmt.Errorf("vector[%d] = %v: %w", i, f, ErrInvalid)
		}
	}
	return nil
}

// Storable reports whether s is valid UTF-8 without NUL, as PostgreSQL text and protobuf strings
// must be.
func Storable(s string) bool { return utf8.ValidString(s) && strings.IndexByte(s, 0) < 0 }

// Prepare validates a passage for a backend of vectors of length dim that keeps its strings as
// Storable requires, and applies the defaults of a new passage (see Check); times are truncated
// to microseconds. Besides Check's errors: ErrInvalid for a string that is not Storable, a
// non-finite confidence, or metadata that does not marshal.
func Prepare(p Passage, dim int, now time.Time) (Passage, error) {
	p, err := Check(p, dim, now)
	if err != nil {
		return p, err
	}
	for _, str := range append([]string{p.ID, p.AgentID, p.Text, p.Context, p.Supersedes, p.SupersededBy, p.Key,
		p.PossiblySupersededBy, p.Cause}, p.Tags...) {
		if !Storable(str) {
			return p, fmt.Errorf("string %q is not valid UTF-8 without NUL: %w", str, ErrInvalid)
		}
	}
	if math.IsNaN(p.Confidence) || math.IsInf(p.Confidence, 0) {
		return p, fmt.Errorf("confidence %v: %w", p.Confidence, ErrInvalid)
	}
	if _, err := json.Marshal(p.Metadata); err != nil {
		return p, fmt.Errorf("metadata: %v: %w", err, ErrInvalid)
	}
	p.CreatedAt = p.CreatedAt.Truncate(time.Microsecond)
	p.ValidFrom = p.ValidFrom.Truncate(time.Microsecond)
	if p.ValidTo != nil {
		t := p.ValidTo.Truncate(time.Microsecond)
		p.ValidTo = &t
	}
	return p, nil
}

// Check is what every backend requires of a passage it stores, and applies the defaults of a new
// passage (CreatedAt zero: now; ValidFrom zero: CreatedAt; Status "": valid; Source "": agent).
// ErrInvalid for an empty id, agent or text, a non-finite vector, an unknown status or source,
// or a time that is not Representable; ErrDimensionMismatch for a vector whose length is not dim.
func Check(p Passage, dim int, now time.Time) (Passage, error) {
	switch {
	case p.ID == "":
		return p, fmt.Errorf("empty id: %w", ErrInvalid)
	case p.AgentID == "":
		return p, fmt.Errorf("empty agent id: %w", ErrInvalid)
	case p.Text == "":
		return p, fmt.Errorf("empty text: %w", ErrInvalid)
	case len(p.Vector) != dim:
		return p, fmt.Errorf("vector length %d, want %d: %w", len(p.Vector), dim, ErrDimensionMismatch)
	}
	if err := CheckFinite(p.Vector); err != nil {
		return p, err
	}
	if p.CreatedAt.IsZero() {
		p.CreatedAt = now
	}
	if p.ValidFrom.IsZero() {
		p.ValidFrom = p.CreatedAt
	}
	if p.Status == "" {
		p.Status = StatusValid
	}
	if p.Source == "" {
		p.Source = SourceAgent
	}
	if !p.Status.Valid() {
		return p, fmt.Errorf("unknown status %q: %w", p.Status, ErrInvalid)
	}
	if !p.Source.Valid() {
		return p, fmt.Errorf("unknown source %q: %w", p.Source, ErrInvalid)
	}
	if !Representable(p.CreatedAt) || !Representable(p.ValidFrom) || (p.ValidTo != nil && !Representable(*p.ValidTo)) {
		return p, fmt.Errorf("time outside %v..%v: %w", minTime.UTC(), maxTime.UTC(), ErrInvalid)
	}
	return p, nil
}
