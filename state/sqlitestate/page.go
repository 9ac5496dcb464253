package sqlitestate

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
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

// pageReq is one Page call waiting for a group commit.
type pageReq struct {
	ctx     context.Context
	agentID string
	fn      func(ctx context.Context, p state.Page) (state.Change, error)
	err     error
	done    bool          // set under Store.mu once err is final
	taken   bool          // set under Store.mu once a leader has taken it into a batch
	settled chan struct{} // closed when done is set
	// appended holds the messages the step appended, indexed for recall once the batch commits.
	appended []state.Message
}

// settle marks r done with err; the caller holds Store.mu.
func (r *pageReq) settle(err error) {
	r.done, r.err = true, err
	close(r.settled)
}

// maxBatch bounds how many Page calls one transaction commits.
const maxBatch = 128

// Page implements state.Store with group commit: every caller queues its step, and whichever
// caller holds the write gate runs all queued steps in one IMMEDIATE transaction, each inside its
// own savepoint (a failing step rolls back alone), then commits once for all. A commit costs far
// more than a step, so concurrent appends share it. No step is acknowledged before its commit,
// and no caller is answered with an error for a step that committed: a caller whose ctx ends while
// a leader holds its step waits for that batch's commit and answers what it decided.
func (s *Store) Page(ctx context.Context, agentID string, fn func(ctx context.Context, p state.Page) (state.Change, error)) error {
	req := &pageReq{ctx: ctx, agentID: agentID, fn: fn, settled: make(chan struct{})}
	s.mu.Lock()
	s.queue = append(s.queue, req)
	s.mu.Unlock()
	for {
		if err := s.gate.Lock(ctx); err != nil {
			s.mu.Lock()
			if req.done {
				s.mu.Unlock()
				return req.err // a leader finished it while we gave up waiting
			}
			if req.taken {
				// A leader is running it: its step may commit, so the answer is the batch's.
				s.mu.Unlock()
				<-req.settled
				return req.err
			}
			req.settle(err) // a later leader skips it
			s.mu.Unlock()
			return err
		}
		s.mu.Lock()
		if req.done {
			s.mu.Unlock()
			s.gate.Unlock()
			return req.err
		}
		n := min(len(s.queue), maxBatch)
		batch := append([]*pageReq(nil), s.queue[:n]...)
		s.queue = append(s.queue[:0], s.queue[n:]...)
		for _, r := range batch {
			r.taken = true
		}
		s.mu.Unlock()
		s.runBatch(batch)
		s.gate.Unlock()
	}
}

// runBatch runs queued steps in one transaction and marks each done with its result.
func (s *Store) runBatch(batch []*pageReq) {
	results := make([]error, len(batch))
	applied := make([]bool, len(batch))
	err := func() error {
		// The transaction outlives any one caller's ctx; each step runs under its own.
		tx, err := s.db.BeginTx(context.Background(), nil)
		if err != nil {
			return fmt.Errorf("sqlitestate: begin: %w", err)
		}
		defer tx.Rollback()
		for i, r := range batch {
			s.mu.Lock()
			skip := r.done
			s.mu.Unlock()
			if skip {
				continue
			}
			applied[i], results[i] = s.step(tx, r)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("sqlitestate: commit: %w", err)
		}
		for i, r := range batch {
			if applied[i] && results[i] == nil && len(r.appended) > 0 {
				s.recall.appended(r.agentID, r.appended)
			}
		}
		return nil
	}()
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, r := range batch {
		if r.done {
			continue
		}
		rerr := results[i]
		if err != nil && (applied[i] || results[i] == nil) {
			rerr = err
		}
		r.settle(rerr)
	}
}

// step runs one Page call inside a savepoint. applied reports whether it wrote anything.
//
// A step whose ctx has ended is skipped; once it starts, it runs to its end without its ctx's
// cancellation: SQLite answers an interrupted statement by rolling back the whole transaction,
// the other callers' steps with it, and the statements after it would then run outside any
// transaction, each committing on its own.
func (s *Store) step(tx *sql.Tx, r *pageReq) (applied bool, err error) {
	if err := r.ctx.Err(); err != nil {
		return false, err
	}
	ctx := context.WithoutCancel(r.ctx)
	if _, err := s.stmts.Exec(ctx, tx, `SAVEPOINT page`); err != nil {
		return false, fmt.Errorf("sqlitestate: savepoint: %w", err)
	}
	release := func() error {
		_, err := s.stmts.Exec(context.Background(), tx, `RELEASE page`)
		return err
	}
	rollback := func(cause error) (bool, error) {
		if _, err := tx.ExecContext(context.Background(), `ROLLBACK TO page`); err != nil {
			return false, errors.Join(cause, fmt.Errorf("sqlitestate: rollback to savepoint: %w", err))
		}
		return false, errors.Join(cause, release())
	}
	query, args := agentQuery(ctx, r.agentID)
	a, err := agentFromRow(r.agentID, s.stmts.QueryRow(ctx, tx, query, args...))
	if err != nil {
		return rollback(err)
	}
	ch, err := r.fn(ctx, &page{tx: tx, agent: a})
	if err != nil {
		return rollback(err)
	}
	if isEmpty(ch) {
		return false, release()
	}
	if err := s.apply(ctx, tx, a, ch); err != nil {
		return rollback(err)
	}
	r.appended = ch.Append
	return true, release()
}

// The statements of an append, prepared once (Store.stmt).
const (
	insertMessageSQL = `INSERT INTO messages (id, agent_id, seq, role, content, name, tool_calls,
		tool_call_id, pinned, tokens, in_context, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,1,?)`
	updateContextSQL = `UPDATE agents SET last_seq=?, system_tokens=?, blocks_tokens=?, message_tokens=?,
		in_context=?, warned=?, summary_id=?, summary_tokens=? WHERE id=?`
)

func isEmpty(ch state.Change) bool {
	return len(ch.Append) == 0 && ch.EvictThrough == 0 && ch.Summary == nil && len(ch.PutBlocks) == 0 &&
		ch.Agent == nil && ch.Context == nil && len(ch.DeleteBlocks) == 0 && len(ch.SharedWrites) == 0 &&
		len(ch.BlockEvents) == 0 && ch.Queue == nil && ch.Finish == nil
}

func (s *Store) apply(ctx context.Context, tx *sql.Tx, a state.Agent, ch state.Change) error {
	if len(ch.Append) > 0 {
		for _, m := range ch.Append {
			if _, err := s.stmts.Exec(ctx, tx, insertMessageSQL, m.ID, a.ID, m.Seq, m.Role, m.Content, m.Name, nullJSON(m.ToolCalls),
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
		if err := insertSummary(ctx, tx, a.ID, sum); err != nil {
			return err
		}
	}
	for _, label := range ch.DeleteBlocks {
		if _, err := tx.ExecContext(ctx, `DELETE FROM blocks WHERE agent_id = ? AND label = ?`, a.ID, label); err != nil {
			return fmt.Errorf("sqlitestate: delete block %s: %w", label, err)
		}
	}
	if err := putBlocks(ctx, tx, a.ID, ch.PutBlocks); err != nil {
		return err
	}
	if err := writeShared(ctx, tx, ch.SharedWrites); err != nil {
		return err
	}
	if err := insertBlockEvents(ctx, tx, ch.BlockEvents); err != nil {
		return err
	}
	if n := ch.Agent; n != nil {
		pager, _ := json.Marshal(n.Pager)
		if _, err := tx.ExecContext(ctx, `UPDATE agents SET name=?, system=?, context_window=?, model=?, pager=?, tools_in_context=?,
			metadata=?, updated_at=?, permissions=? WHERE id=?`, n.Name, n.System, n.ContextWindow, n.Model, string(pager), n.ToolsInContext,
			nullJSON(n.Metadata),
			nanos(n.UpdatedAt), nullJSON(state.EncodePermissions(n.Permissions)), a.ID); err != nil {
			return fmt.Errorf("sqlitestate: update agent: %w", err)
		}
	}
	if c := ch.Context; c != nil {
		if _, err := s.stmts.Exec(ctx, tx, updateContextSQL, c.LastSeq, c.SystemTokens, c.BlocksTokens,
			c.MessageTokens, c.InContext, c.Warned, c.SummaryID, c.SummaryTokens, a.ID); err != nil {
			return fmt.Errorf("sqlitestate: update context: %w", err)
		}
	}
	return applyCompaction(ctx, tx, a, ch)
}
