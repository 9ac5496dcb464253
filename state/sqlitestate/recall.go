package sqlitestate

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/memsvc/memsvc/lexindex"
	"github.com/memsvc/memsvc/state"
)

// recallIndex is the lexical half of recall search: each agent's messages in a lexindex (BM25
// with the agent's own statistics, textproc's terms), with the fields the filters need. An agent
// is loaded from the messages table on its first recall search, holding the write gate, so that
// no append commits between the read and the moment later appends are indexed; from then on,
// every committed append is indexed by the group commit that wrote it (also under the gate),
// and a deleted agent is forgotten. Agents never searched cost nothing.
type recallIndex struct {
	lex *lexindex.Index

	mu     sync.RWMutex
	loaded map[string]map[string]recallMeta // agent -> message id -> filter fields
}

type recallMeta struct {
	role      string
	createdAt int64
}

func newRecallIndex() *recallIndex {
	return &recallIndex{lex: lexindex.New(), loaded: make(map[string]map[string]recallMeta)}
}

// appended indexes messages an append committed, when their agent is loaded. The caller holds
// the write gate.
func (x *recallIndex) appended(agentID string, msgs []state.Message) {
	x.mu.Lock()
	defer x.mu.Unlock()
	meta, ok := x.loaded[agentID]
	if !ok {
		return
	}
	for _, m := range msgs {
		x.lex.Add(agentID, m.ID, m.Content)
		meta[m.ID] = recallMeta{role: m.Role, createdAt: nanos(m.CreatedAt)}
	}
}

// forget drops a deleted agent, once its deletion committed.
func (x *recallIndex) forget(agentID string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	delete(x.loaded, agentID)
	x.lex.RemoveAgent(agentID)
}

// load reads agentID's messages into the index unless it is loaded.
func (s *Store) loadRecall(ctx context.Context, agentID string) error {
	x := s.recall
	x.mu.RLock()
	_, ok := x.loaded[agentID]
	x.mu.RUnlock()
	if ok {
		return nil
	}
	return s.write(ctx, func() error {
		x.mu.RLock()
		_, ok := x.loaded[agentID]
		x.mu.RUnlock()
		if ok {
			return nil
		}
		rows, err := s.db.QueryContext(ctx, `SELECT id, role, content, created_at FROM messages WHERE agent_id = ?`, agentID)
		if err != nil {
			return fmt.Errorf("sqlitestate: load recall index: %w", err)
		}
		defer rows.Close()
		meta := make(map[string]recallMeta)
		var ids, texts []string
		for rows.Next() {
			var id, content string
			var m recallMeta
			if err := rows.Scan(&id, &m.role, &content, &m.createdAt); err != nil {
				return fmt.Errorf("sqlitestate: load recall index: %w", err)
			}
			meta[id] = m
			ids, texts = append(ids, id), append(texts, content)
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("sqlitestate: load recall index: %w", err)
		}
		if len(ids) == 0 {
			return nil // nothing to index; loading again costs one query (and a deleted agent stays out)
		}
		x.mu.Lock()
		defer x.mu.Unlock()
		for i, id := range ids {
			x.lex.Add(agentID, id, texts[i])
		}
		x.loaded[agentID] = meta
		return nil
	})
}

// lexicalMessages returns the depth best messages of q by BM25 over the agent's own messages,
// among those the filters keep, ranked 1, 2, 3... with their scores.
func (s *Store) lexicalMessages(ctx context.Context, q state.RecallQuery, depth int) ([]state.MessageHit, error) {
	if len(lexindex.QueryTerms(q.Text)) == 0 {
		return nil, nil
	}
	if err := s.loadRecall(ctx, q.AgentID); err != nil {
		return nil, err
	}
	roles := make(map[string]bool, len(q.Roles))
	for _, r := range q.Roles {
		roles[r] = true
	}
	var from, to int64
	if q.From != nil {
		from = nanos(*q.From)
	}
	if q.To != nil {
		to = nanos(*q.To)
	}
	x := s.recall
	x.mu.RLock()
	meta := x.loaded[q.AgentID]
	res := x.lex.Search(q.AgentID, q.Text, depth, func(id string) bool {
		m, ok := meta[id]
		return ok && (len(roles) == 0 || roles[m.role]) && (q.From == nil || m.createdAt >= from) &&
			(q.To == nil || m.createdAt <= to)
	})
	x.mu.RUnlock()
	if len(res) == 0 {
		return nil, nil
	}
	args := []any{q.AgentID}
	for _, r := range res {
		args = append(args, r.ID)
	}
	msgs, err := queryMessages(ctx, s.db, `SELECT `+messageCols+` FROM messages m WHERE agent_id = ? AND id IN (?`+
		strings.Repeat(",?", len(res)-1)+`)`, args...)
	if err != nil {
		return nil, err
	}
	byID := make(map[string]state.Message, len(msgs))
	for _, m := range msgs {
		byID[m.ID] = m
	}
	hits := make([]state.MessageHit, 0, len(res))
	for _, r := range res {
		if m, ok := byID[r.ID]; ok { // a message of an agent deleted meanwhile is gone
			hits = append(hits, state.MessageHit{Message: m, Lexical: r.Score, LexicalRank: len(hits) + 1})
		}
	}
	return hits, nil
}
