package pgstate

import (
	"context"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"
	"github.com/pgvector/pgvector-go"

	"github.com/memsvc/memsvc/state"
)

const messageCols = `m.id, m.agent_id, m.seq, m.role, m.content, m.name, m.tool_calls, m.tool_call_id, m.pinned, m.tokens,
	m.in_context, m.created_at`

// scanMessage scans messageCols, then extra.
func scanMessage(r scanner, extra ...any) (state.Message, error) {
	var m state.Message
	var calls []byte
	dest := append([]any{&m.ID, &m.AgentID, &m.Seq, &m.Role, &m.Content, &m.Name, &calls, &m.ToolCallID, &m.Pinned,
		&m.Tokens, &m.InContext, &m.CreatedAt}, extra...)
	if err := r.Scan(dest...); err != nil {
		return m, err
	}
	if calls != nil {
		m.ToolCalls = calls
	}
	m.CreatedAt = m.CreatedAt.UTC()
	return m, nil
}

func queryMessages(ctx context.Context, q querier, op, query string, args ...any) ([]state.Message, error) {
	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return nil, wrap(op, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (state.Message, error) { return scanMessage(r) })
	if err != nil {
		return nil, wrap(op, err)
	}
	return out, nil
}

// queueAppend queues the insertion of new messages, all in context.
func queueAppend(b *batch, agentID string, msgs []state.Message) {
	for _, m := range msgs {
		b.queue(fmt.Sprintf("append seq %d", m.Seq), `INSERT INTO messages (id, agent_id, seq, role, content, name, tool_calls, tool_call_id, pinned, tokens,
			in_context, created_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,true,$11)`,
			m.ID, agentID, m.Seq, m.Role, m.Content, m.Name, nullJSON(m.ToolCalls), m.ToolCallID, m.Pinned, m.Tokens, m.CreatedAt)
	}
}

func inContext(ctx context.Context, q querier, agentID string) ([]state.Message, error) {
	return queryMessages(ctx, q, "in context", `SELECT `+messageCols+` FROM messages m WHERE agent_id = $1 AND in_context
		ORDER BY seq`, agentID)
}

// InContext implements state.Store.
func (s *Store) InContext(ctx context.Context, agentID string) ([]state.Message, error) {
	return inContext(ctx, s.pool, agentID)
}

// ListMessages implements state.Store.
func (s *Store) ListMessages(ctx context.Context, agentID string, afterSeq int64, limit int) ([]state.Message, error) {
	return queryMessages(ctx, s.pool, "list messages", `SELECT `+messageCols+` FROM messages m WHERE agent_id = $1 AND seq > $2
		ORDER BY seq LIMIT $3`, agentID, afterSeq, limit)
}

// MessagesAt implements state.Store.
func (s *Store) MessagesAt(ctx context.Context, agentID string, seqs []int64) ([]state.Message, error) {
	if len(seqs) == 0 {
		return nil, nil
	}
	return queryMessages(ctx, s.pool, "messages at", `SELECT `+messageCols+` FROM messages m WHERE agent_id = $1
		AND seq = ANY($2) ORDER BY seq`, agentID, seqs)
}

// UnembeddedMessages implements state.Store (the messages_pending index, in its order).
func (s *Store) UnembeddedMessages(ctx context.Context, afterAgent string, limit int) ([]state.Message, error) {
	return queryMessages(ctx, s.pool, "unembedded messages", `SELECT `+messageCols+` FROM messages m
		WHERE embedding IS NULL AND agent_id > $1 ORDER BY agent_id, seq LIMIT $2`, afterAgent, limit)
}

// PendingVectors implements state.Store (the messages_pending index).
func (s *Store) PendingVectors(ctx context.Context, agentID string) (int, error) {
	var n int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM messages WHERE agent_id = $1 AND embedding IS NULL`, agentID).Scan(&n); err != nil {
		return 0, wrap("pending vectors of "+agentID, err)
	}
	return n, nil
}

// SetMessageVectors implements state.Store in one transaction. Rows are updated in ID order, so
// that two replicas' embedding workers writing overlapping sets cannot deadlock. A vector whose
// dimension is not the column's fails the whole call.
func (s *Store) SetMessageVectors(ctx context.Context, vecs map[string][]float32) error {
	if len(vecs) == 0 {
		return nil
	}
	ids := make([]string, 0, len(vecs))
	for id := range vecs {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	b := &batch{}
	for _, id := range ids {
		b.queue("set vector "+id, `UPDATE messages SET embedding = $1 WHERE id = $2`, pgvector.NewVector(vecs[id]), id)
	}
	return b.send(ctx, s.pool) // one implicit transaction
}
