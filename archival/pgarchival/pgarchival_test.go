package pgarchival_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/memsvc/memsvc/archival"
	"github.com/memsvc/memsvc/archival/archivaltest"
	"github.com/memsvc/memsvc/archival/pgarchival"
	"github.com/memsvc/memsvc/pgdb/pgdbtest"
)

const dim = 100

// newStore returns a store on a fresh schema, whose archival_stats are checked against the
// passages when the test ends.
func newStore(t *testing.T) (*pgarchival.Store, *pgxpool.Pool) {
	t.Helper()
	pool := pgdbtest.Pool(t, dim)
	t.Cleanup(func() {
		if err := consistentStats(pool); err != nil {
			t.Errorf("archival_stats or passage_terms out of step with passages: %v", err)
		}
	})
	return pgarchival.New(pool, dim), pool
}

func TestConformance(t *testing.T) {
	archivaltest.Run(t, func(t *testing.T) archival.Store {
		s, _ := newStore(t)
		return s
	})
}

// consistentStats reports whether archival_stats holds exactly each agent's passage count and
// token total.
func consistentStats(pool *pgxpool.Pool) error {
	rows, err := pool.Query(context.Background(), `
		SELECT coalesce(s.agent_id, p.agent_id), s.n, s.total_len, p.n, p.total_len
		FROM archival_stats s FULL JOIN (
			SELECT agent_id, count(*) AS n, sum(archival_doc_len(tsv)) AS total_len FROM passages GROUP BY agent_id
		) p ON p.agent_id = s.agent_id
		WHERE s.n IS DISTINCT FROM p.n OR s.total_len IS DISTINCT FROM p.total_len`)
	if err != nil {
		return err
	}
	defer rows.Close()
	var bad []string
	for rows.Next() {
		var agent string
		var sn, sl, pn, pl *int64
		if err := rows.Scan(&agent, &sn, &sl, &pn, &pl); err != nil {
			return err
		}
		bad = append(bad, fmt.Sprintf("agent %s: stats n=%v len=%v, passages n=%v len=%v", agent, deref(sn), deref(sl), deref(pn), deref(pl)))
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if len(bad) > 0 {
		return fmt.Errorf("%v", bad)
	}
	return consistentTerms(pool)
}

// consistentTerms reports whether passage_terms holds exactly the postings of every passage's
// tsv: each lexeme with its positions as tf, and the passage's archival_doc_len as dl.
func consistentTerms(pool *pgxpool.Pool) error {
	var missing, extra int
	err := pool.QueryRow(context.Background(), `
		WITH want AS (
			SELECT p.agent_id, u.lexeme, p.id, coalesce(array_length(u.positions, 1), 1)::real AS tf,
				archival_doc_len(p.tsv)::real AS dl
			FROM passages p, unnest(p.tsv) AS u
		), have AS (SELECT agent_id, lexeme, id, tf, dl FROM passage_terms)
		SELECT (SELECT count(*) FROM (SELECT * FROM want EXCEPT ALL SELECT * FROM have) m),
			(SELECT count(*) FROM (SELECT * FROM have EXCEPT ALL SELECT * FROM want) e)`).Scan(&missing, &extra)
	if err != nil {
		return err
	}
	if missing > 0 || extra > 0 {
		return fmt.Errorf("passage_terms: %d postings missing, %d extra", missing, extra)
	}
	return nil
}

func deref(p *int64) any {
	if p == nil {
		return nil
	}
	return *p
}
