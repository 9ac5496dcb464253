package pgarchival

import (
	"context"
	"fmt"

	"github.com/memsvc/memsvc/archival"
	"github.com/memsvc/memsvc/archival/pghistory"
)

// History returns a passage's events, oldest first, or ErrNotFound for an unknown passage. Times
// are in UTC, to the microsecond.
func (s *Store) History(ctx context.Context, agentID, id string) ([]archival.Event, error) {
	if _, err := s.Get(ctx, agentID, id); err != nil {
		return nil, err
	}
	out, err := pghistory.Read(ctx, s.pool, agentID, id)
	if err != nil {
		return nil, fmt.Errorf("pgarchival: history of %s: %w", id, dbErr(ctx, err))
	}
	return out, nil
}
