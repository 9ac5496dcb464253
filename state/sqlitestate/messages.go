package sqlitestate

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/memsvc/memsvc/sqlitedb"
	"github.com/memsvc/memsvc/state"
)

const messageCols = `m.id, m.agent_id, m.seq, m.role, m.content, m.name, m.tool_calls, m.tool_call_id, m.pinned, m.tokens,
	m.in_context, m.created_at`

func scanMessage(r scanner, extra ...any) (state.Message, error) {
	var m state.Message
	var calls sql.NullString
	var created int64
	dest := append([]any{&m.ID, &m.AgentID, &m.Seq, &m.Role, &m.Content, &m.Name, &calls, &m.ToolCallID, &m.Pinned,
		&m.Tokens, &m.InContext, &created}, extra...)
	if err := r.Scan(dest...); err != nil {
		return m, err
	}
	if calls.Valid {
		m.ToolCalls = []byte(calls.String)
	}
	m.CreatedAt = fromNanos(created)
	return m, nil
}

func queryMessages(ctx context.Context, q querier, query string, args ...any) ([]state.Message, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlitestate: messages: %w", err)
	}
	defer rows.Close()
	out := []state.Message{}
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

func inContext(ctx context.Context, q querier, agentID string) ([]state.Message, error) {
	return queryMessages(ctx, q, `SELECT `+messageCols+` FROM messages m WHERE agent_id = ? AND in_context = 1 ORDER BY seq`, agentID)
}

// InContext implements state.Store.
func (s *Store) InContext(ctx context.Context, agentID string) ([]state.Message, error) {
	return inContext(ctx, s.db, agentID)
}

// ListMessages implements state.Store.
func (s *Store) ListMessages(ctx context.Context, agentID string, afterSeq int64, limit int) ([]state.Message, error) {
	return queryMessages(ctx, s.db, `SELECT `+messageCols+` FROM messages m WHERE agent_id = ? AND seq > ? ORDER BY seq LIMIT ?`,
		agentID, afterSeq, limit)
}

// MessagesAt implements state.Store: the sequence numbers travel as one JSON array.
func (s *Store) MessagesAt(ctx context.Context, agentID string, seqs []int64) ([]state.Message, error) {
	if len(seqs) == 0 {
		return nil, nil
	}
	b, err := json.Marshal(seqs)
	if err != nil {
		return nil, err
	}
	return queryMessages(ctx, s.db, `SELECT `+messageCols+` FROM messages m WHERE agent_id = ?
		AND seq IN (SELECT value FROM json_each(?)) ORDER BY seq`, agentID, string(b))
}

// UnembeddedMessages implements state.Store (the messages_pending index, in its order).
func (s *Store) UnembeddedMessages(ctx context.Context, afterAgent string, limit int) ([]state.Message, error) {
	return queryMessages(ctx, s.db, `SELECT `+messageCols+` FROM messages m WHERE vector IS NULL AND agent_id > ?
		ORDER BY agent_id, seq LIMIT ?`, afterAgent, limit)
}

// PendingVectors implements state.Store (the messages_pending index).
func (s *Store) PendingVectors(ctx context.Context, agentID string) (int, error) {
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM messages WHERE agent_id = ? AND vector IS NULL`, agentID).Scan(&n); err != nil {
		return 0, fmt.Errorf("sqlitestate: pending vectors of %s: %w", agentID, err)
	}
	return n, nil
}

// SetMessageVectors implements state.Store.
func (s *Store) SetMessageVectors(ctx context.Context, vecs map[string][]float32) error {
	return s.writeTx(ctx, func(tx *sql.Tx) error {
		for id, v := range vecs {
			if _, err := tx.ExecContext(ctx, `UPDATE messages SET vector = ? WHERE id = ?`, sqlitedb.EncodeVector(v), id); err != nil {
				return fmt.Errorf("sqlitestate: set vector %s: %w", id, err)
			}
		}
		return nil
	})
}

// recallFilter renders the WHERE conditions shared by both halves of a recall search.
func recallFilter(q state.RecallQuery) (string, []any) {
	where := []string{"m.agent_id = ?"}
	args := []any{q.AgentID}
	if len(q.Roles) > 0 {
		where = append(where, "m.role IN (?"+strings.Repeat(",?", len(q.Roles)-1)+")")
		for _, r := range q.Roles {
			args = append(args, r)
		}
	}
	if q.From != nil {
		where = append(where, "m.created_at >= ?")
		args = append(args, nanos(*q.From))
	}
	if q.To != nil {
		where = append(where, "m.created_at <= ?")
		args = append(args, nanos(*q.To))
	}
	return strings.Join(where, " AND "), args
}

// SearchMessages implements state.Store: BM25 candidates from the agent's own lexical index (see
// recallIndex) and dense candidates from an exact cosine scan of the agent's embedded messages,
// merged with their ranks.
func (s *Store) SearchMessages(ctx context.Context, q state.RecallQuery) ([]state.MessageHit, error) {
	where, args := recallFilter(q)
	depth := state.RecallDepth(q.K)
	lexical, err := s.lexicalMessages(ctx, q, depth)
	if err != nil {
		return nil, fmt.Errorf("sqlitestate: recall lexical: %w", err)
	}
	var dense []state.MessageHit
	if len(q.Vector) > 0 {
		var err error
		if dense, err = s.denseMessages(ctx, q, where, args, depth); err != nil {
			return nil, err
		}
	}
	return state.MergeRecall(lexical, dense), nil
}

func (s *Store) denseMessages(ctx context.Context, q state.RecallQuery, where string, args []any, depth int) ([]state.MessageHit, error) {
	qn := norm(q.Vector)
	if qn == 0 {
		return nil, nil
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+messageCols+`, m.vector FROM messages m WHERE `+where+` AND m.vector IS NOT NULL`, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlitestate: recall dense: %w", err)
	}
	defer rows.Close()
	var hits []state.MessageHit
	for rows.Next() {
		var blob []byte
		m, err := scanMessage(rows, &blob)
		if err != nil {
			return nil, err
		}
		v, err := sqlitedb.DecodeVector(blob)
		if err != nil || len(v) != len(q.Vector) {
			continue
		}
		vn := norm(v)
		if vn == 0 {
			continue
		}
		var dot float64
		for i := range v {
			dot += float64(v[i]) * float64(q.Vector[i])
		}
		hits = append(hits, state.MessageHit{Message: m, Dense: dot / (qn * vn)})
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	sort.Slice(hits, func(i, j int) bool { return hits[i].Dense > hits[j].Dense })
	if len(hits) > depth {
		hits = hits[:depth]
	}
	return hits, nil
}

func norm(v []float32) float64 {
	var s float64
	for _, f := range v {
		s += float64(f) * float64(f)
	}
	return math.Sqrt(s)
}
