package sqlitestate

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/memsvc/memsvc/state"
)

// page is the state.Page handed to the pager inside the transaction.
type page struct {
	tx    *sql.Tx
	agent state.Agent
}

func (p *page) Agent() state.Agent { return p.agent }

func (p *page) InContext(ctx context.Context) ([]state.Message, error) {
	return inContext(ctx, p.tx, p.agent.ID)
}

func (p *page) Blocks(ctx context.Context) ([]state.Block, error) {
	return listBlocks(ctx, p.tx, p.agent.ID)
}

func (p *page) Summary(ctx context.Context) (*state.Summary, error) {
	if p.agent.Context.SummaryID == "" {
		return nil, nil
	}
	s, err := getSummary(ctx, p.tx, p.agent.ID, p.agent.Context.SummaryID)
	if err != nil {
		return nil, err
	}
	return &s, nil
}

// Page implements state.Store. The transaction begins IMMEDIATE (see sqlitedb), so it holds the
// write lock from the first statement: no other Page, in this process or another, interleaves.
func (s *Store) Page(ctx context.Context, agentID string, fn func(ctx context.Context, p state.Page) (state.Change, error)) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlitestate: begin: %w", err)
	}
	defer tx.Rollback()
	a, err := getAgent(ctx, tx, agentID)
	if err != nil {
		return err
	}
	ch, err := fn(ctx, &page{tx: tx, agent: a})
	if err != nil {
		return err
	}
	if isEmpty(ch) {
		return nil // read-only step: the deferred rollback ends it
	}
	if err := apply(ctx, tx, a, ch); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlitestate: commit: %w", err)
	}
	return nil
}

func isEmpty(ch state.Change) bool {
	return len(ch.Append) == 0 && ch.EvictThrough == 0 && ch.Summary == nil && len(ch.PutBlocks) == 0 &&
		ch.Agent == nil && ch.Context == nil
}

func apply(ctx context.Context, tx *sql.Tx, a state.Agent, ch state.Change) error {
	if len(ch.Append) > 0 {
		stmt, err := tx.PrepareContext(ctx, `INSERT INTO messages (id, agent_id, seq, role, content, name, tool_calls,
			tool_call_id, pinned, tokens, in_context, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,1,?)`)
		if err != nil {
			return fmt.Errorf("sqlitestate: prepare append: %w", err)
		}
		defer stmt.Close()
		for _, m := range ch.Append {
			if _, err := stmt.ExecContext(ctx, m.ID, a.ID, m.Seq, m.Role, m.Content, m.Name, nullJSON(m.ToolCalls),
				m.ToolCallID, m.Pinned, m.Tokens, nanos(m.CreatedAt)); err != nil {
				return fmt.Errorf("sqlitestate: append seq %d: %w", m.Seq, err)
			}
		}
	}
	if ch.EvictThrough > 0 {
		if _, err := tx.ExecContext(ctx, `UPDATE messages SET in_context = 0 WHERE agent_id = ? AND seq <= ? AND in_context = 1`,
			a.ID, ch.EvictThrough); err != nil {
			return fmt.Errorf("sqlitestate: evict: %w", err)
		}
	}
	if sum := ch.Summary; sum != nil {
		ids, _ := json.Marshal(sum.SourceMessageIDs)
		if _, err := tx.ExecContext(ctx, `INSERT INTO summaries (id, agent_id, text, tokens, from_seq, through_seq,
			previous_id, source_message_ids, passage_id, created_at) VALUES (?,?,?,?,?,?,?,?,?,?)`,
			sum.ID, a.ID, sum.Text, sum.Tokens, sum.FromSeq, sum.ThroughSeq, sum.PreviousID, string(ids), sum.PassageID,
			nanos(sum.CreatedAt)); err != nil {
			return fmt.Errorf("sqlitestate: insert summary: %w", err)
		}
	}
	if err := putBlocks(ctx, tx, a.ID, ch.PutBlocks); err != nil {
		return err
	}
	if n := ch.Agent; n != nil {
		pager, _ := json.Marshal(n.Pager)
		if _, err := tx.ExecContext(ctx, `UPDATE agents SET name=?, system=?, context_window=?, model=?, pager=?, tools_in_context=?,
			metadata=?, updated_at=? WHERE id=?`, n.Name, n.System, n.ContextWindow, n.Model, string(pager), n.ToolsInContext,
			nullJSON(n.Metadata),
			nanos(n.UpdatedAt), a.ID); err != nil {
			return fmt.Errorf("sqlitestate: update agent: %w", err)
		}
	}
	if c := ch.Context; c != nil {
		if _, err := tx.ExecContext(ctx, `UPDATE agents SET last_seq=?, system_tokens=?, blocks_tokens=?, message_tokens=?,
			in_context=?, warned=?, summary_id=?, summary_tokens=? WHERE id=?`, c.LastSeq, c.SystemTokens, c.BlocksTokens,
			c.MessageTokens, c.InContext, c.Warned, c.SummaryID, c.SummaryTokens, a.ID); err != nil {
			return fmt.Errorf("sqlitestate: update context: %w", err)
		}
	}
	return nil
}
