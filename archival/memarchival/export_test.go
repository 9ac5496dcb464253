package memarchival

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/memsvc/memsvc/archival"
	"github.com/memsvc/memsvc/vecindex"
)

// NewWithIndex is New with an HNSW of the given options, so that tests reach its graph with
// few passages.
func NewWithIndex(ctx context.Context, db *sql.DB, dim int, opts ...vecindex.HNSWOption) (*Store, error) {
	return newStore(ctx, db, vecindex.NewHNSW(dim, opts...))
}

// IndexStats exposes the vector index's state of one agent.
func IndexStats(s *Store, agentID string) vecindex.AgentStats { return s.idx.Stats(agentID) }

// DB exposes a store's database to the external tests.
func DB(s *Store) *sql.DB { return s.db }

// Consistent reports whether the memory copy (vector index, lexical index and filter map) holds
// exactly the passages of the table, with the same filter fields.
func Consistent(s *Store) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	rows, err := s.db.Query(`SELECT agent_id, id, status, created_at, valid_from, valid_to FROM passages`)
	if err != nil {
		return err
	}
	defer rows.Close()
	perAgent := map[string]int{}
	for rows.Next() {
		var (
			agent, id, status string
			created, from     int64
			to                sql.NullInt64
		)
		if err := rows.Scan(&agent, &id, &status, &created, &from, &to); err != nil {
			return err
		}
		perAgent[agent]++
		e := s.meta[agent][id]
		if e == nil {
			return fmt.Errorf("passage %s/%s missing from memory", agent, id)
		}
		if string(e.status) != status || e.createdAt != created || e.validFrom != from ||
			e.hasValidTo != to.Valid || e.validTo != to.Int64 {
			return fmt.Errorf("passage %s/%s: memory %+v differs from its row", agent, id, *e)
		}
		want := status != string(archival.StatusValid)
		if hidden, ok := s.idx.Hidden(agent, id); !ok || hidden != want {
			return fmt.Errorf("passage %s/%s (%s): vector hidden %v (held: %v)", agent, id, status, hidden, ok)
		}
		if hidden, ok := s.lex.Hidden(agent, id); !ok || hidden != want {
			return fmt.Errorf("passage %s/%s (%s): lexical document hidden %v (held: %v)", agent, id, status, hidden, ok)
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for agent, m := range s.meta {
		if len(m) != perAgent[agent] || s.idx.Len(agent) != perAgent[agent] {
			return fmt.Errorf("agent %s: %d rows, %d filter entries, %d vectors", agent, perAgent[agent], len(m), s.idx.Len(agent))
		}
	}
	for agent, n := range perAgent {
		if s.idx.Len(agent) != n || s.lex.Len(agent) != n {
			return fmt.Errorf("agent %s: %d rows, %d vectors, %d lexical documents", agent, n, s.idx.Len(agent), s.lex.Len(agent))
		}
	}
	return nil
}
