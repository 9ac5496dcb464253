package pgarchival

import (
	"context"
	"fmt"
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
		p, err := archival.Prepare(p, s.dim, now)
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
