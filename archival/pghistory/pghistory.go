// Package pghistory reads and writes the history of passages' validity changes in PostgreSQL's
// passage_history table (migrations/postgres 0002), for the backends that keep it there:
// pgarchival, and pgoutbox on behalf of qdrantarchival.
package pghistory

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/memsvc/memsvc/archival"
)

// Queue queues on b the insert of events, in their order (seq is an identity).
func Queue(b *pgx.Batch, events []archival.Event) {
	n := len(events)
	var (
		agents, ids, actions, from, to = make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		by, causes                     = make([]string, n), make([]string, n)
		at                             = make([]time.Time, n)
		confidence                     = make([]float64, n)
	)
	for i, e := range events {
		agents[i], ids[i], at[i], actions[i] = e.AgentID, e.PassageID, e.At, e.Action
		from[i], to[i], by[i], causes[i], confidence[i] = string(e.FromStatus), string(e.ToStatus), e.SupersededBy, e.Cause, e.Confidence
	}
	b.Queue(`INSERT INTO passage_history (agent_id, passage_id, at, action, from_status, to_status,
	superseded_by, cause, confidence)
SELECT e.agent_id, e.passage_id, e.at, e.action, e.from_status, e.to_status, e.superseded_by, e.cause, e.confidence
FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::text[], $5::text[], $6::text[], $7::text[],
	$8::text[], $9::float8[]) WITH ORDINALITY AS e(agent_id, passage_id, at, action, from_status,
	to_status, superseded_by, cause, confidence, ord)
ORDER BY e.ord`, agents, ids, at, actions, from, to, by, causes, confidence)
}

// Querier is what Read needs: *pgxpool.Pool, *pgx.Conn and pgx.Tx all are one.
type Querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// Read returns a passage's events, oldest first (empty, not nil, when it has none). Times are
// in UTC, to the microsecond. Errors are the driver's, unwrapped.
func Read(ctx context.Context, q Querier, agentID, passageID string) ([]archival.Event, error) {
	rows, err := q.Query(ctx, `SELECT seq, at, action, from_status, to_status, superseded_by, cause, confidence
		FROM passage_history WHERE agent_id = $1 AND passage_id = $2 ORDER BY seq`, agentID, passageID)
	if err != nil {
		return nil, err
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (archival.Event, error) {
		e := archival.Event{AgentID: agentID, PassageID: passageID}
		var from, to string
		err := row.Scan(&e.Seq, &e.At, &e.Action, &from, &to, &e.SupersededBy, &e.Cause, &e.Confidence)
		e.At, e.FromStatus, e.ToStatus = e.At.UTC(), archival.Status(from), archival.Status(to)
		return e, err
	})
	if err != nil {
		return nil, err
	}
	if out == nil {
		out = []archival.Event{}
	}
	return out, nil
}
