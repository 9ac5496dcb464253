package pgstate

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/memsvc/memsvc/state"
)

// page is the state.Page handed to the pager inside the transaction.
type page struct {
	tx    pgx.Tx
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

// Page implements state.Store. It runs in one READ COMMITTED transaction that first takes the
// agent's row lock (SELECT ... FOR UPDATE), then hands fn the agent and loaders reading in the same
// transaction, then writes the Change in one batch (one round trip) and commits. An error from fn
// is returned unchanged and an empty Change writes nothing; both roll back, releasing the lock.
//
// The row lock serializes Page calls on one agent across every process sharing the database,
// while Page calls on other agents proceed in parallel. It was chosen over an advisory lock
// (pg_advisory_xact_lock on a hash of the ID) because it comes with the read the step needs
// anyway (one statement, which also answers ErrNotFound); it locks exactly the agent, where
// hashed keys can collide and share an advisory key space with migrations; after waiting, READ
// COMMITTED re-reads the row, so fn sees the counters the previous holder committed; and it
// conflicts with DeleteAgent's row lock, so an agent cannot be deleted under a paging step. Like
// every lock it is released at commit or rollback, also when a connection drops.
//
// Deadlock freedom: a step locks one agent row, then writes only rows of that agent. fn must not
// call back into the Store outside p (a second pool connection could wait on this very lock).
func (s *Store) Page(ctx context.Context, agentID string, fn func(ctx context.Context, p state.Page) (state.Change, error)) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return wrap("page begin", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) // a no-op after Commit
	a, err := getAgent(ctx, tx, agentID, "FOR UPDATE")
	if err != nil {
		return err
	}
	ch, err := fn(ctx, &page{tx: tx, agent: a})
	if err != nil {
		return err
	}
	b, err := changeBatch(a.ID, ch)
	if err != nil {
		return err
	}
	if b.len() == 0 && len(ch.SharedWrites) == 0 && ch.Finish == nil {
		return nil
	}
	// A compaction's outcome first, checked on its own: a finished one is ErrConflict.
	if err := finishCompaction(ctx, tx, a.ID, ch.Finish); err != nil {
		return err
	}
	// Shared writes first, each checked on its own: a version that moved is ErrConflict.
	if err := writeShared(ctx, tx, ch.SharedWrites); err != nil {
		return err
	}
	if b.len() > 0 {
		if err := b.send(ctx, tx); err != nil {
			return err
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return wrap("page commit", err)
	}
	return nil
}

// changeBatch renders a Change as the statements that apply it, in the embedded store's order.
func changeBatch(agentID string, ch state.Change) (*batch, error) {
	b := &batch{}
	queueAppend(b, agentID, ch.Append)
	if ch.EvictThrough > 0 {
		b.queue("evict", `UPDATE messages SET in_context = false WHERE agent_id = $1 AND seq <= $2 AND in_context`,
			agentID, ch.EvictThrough)
	}
	if ch.Summary != nil {
		queueSummary(b, agentID, ch.Summary)
	}
	for _, label := range ch.DeleteBlocks {
		b.queue("delete block "+label, `DELETE FROM blocks WHERE agent_id = $1 AND label = $2`, agentID, label)
	}
	queueBlocks(b, agentID, ch.PutBlocks)
	queueBlockEvents(b, ch.BlockEvents)
	if n := ch.Agent; n != nil {
		pager, err := json.Marshal(n.Pager)
		if err != nil {
			return nil, fmt.Errorf("pgstate: agent %s pager: %w", agentID, err)
		}
		b.queue("update agent", `UPDATE agents SET name = $1, system = $2, context_window = $3, model = $4, pager = $5,
			tools_in_context = $6, metadata = $7, updated_at = $8, permissions = $9 WHERE id = $10`,
			n.Name, n.System, n.ContextWindow, n.Model, pager, n.ToolsInContext, nullJSON(n.Metadata), n.UpdatedAt,
			nullJSON(state.EncodePermissions(n.Permissions)), agentID)
	}
	if c := ch.Context; c != nil {
		b.queue("update context", `UPDATE agents SET last_seq = $1, system_tokens = $2, blocks_tokens = $3,
			message_tokens = $4, in_context = $5, warned = $6, summary_id = $7, summary_tokens = $8 WHERE id = $9`,
			c.LastSeq, c.SystemTokens, c.BlocksTokens, c.MessageTokens, c.InContext, c.Warned, c.SummaryID, c.SummaryTokens,
			agentID)
	}
	queueCompaction(b, agentID, ch)
	return b, nil
}
