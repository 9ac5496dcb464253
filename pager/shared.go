package pager

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/memsvc/memsvc/state"
)

// Shared memory layers: a shared block belongs to a tenant and is attached by any of its agents,
// each attachment read-only, writable in place, or copy-on-write (the agent's first write makes
// its private copy and leaves the others alone). Every block write is kept in the block's
// history, and the latest writes can be undone one by one.

// SharedBlockInput creates a shared block.
type SharedBlockInput struct {
	Label       string `json:"label"`
	Value       string `json:"value"`
	Limit       int    `json:"limit"`
	Description string `json:"description"`
}

// AttachInput attaches a shared block to an agent. At most one of ReadOnly and CopyOnWrite is
// set; neither makes the attachment writable in place.
type AttachInput struct {
	BlockID     string `json:"block_id"`
	ReadOnly    bool   `json:"read_only"`
	CopyOnWrite bool   `json:"copy_on_write"`
}

// MaxBlockHistory is how many entries of a block's history BlockHistory returns (the newest).
const MaxBlockHistory = 200

func (s *Service) sharedStore() (state.SharedBlockStore, error) {
	sb, ok := s.cfg.Store.(state.SharedBlockStore)
	if !ok {
		return nil, errorf(ErrUnprocessable, "this store keeps no shared blocks")
	}
	return sb, nil
}

// CreateSharedBlock stores a new shared block in the caller's tenant.
func (s *Service) CreateSharedBlock(ctx context.Context, in SharedBlockInput) (state.SharedBlock, error) {
	sb, err := s.sharedStore()
	if err != nil {
		return state.SharedBlock{}, err
	}
	b := state.Block{Label: in.Label, Value: in.Value, Limit: in.Limit, Description: in.Description}
	if err := normalizeBlock(&b); err != nil {
		return state.SharedBlock{}, err
	}
	now := s.now()
	out := state.SharedBlock{ID: state.NewID("blk"), Tenant: tenantOf(ctx), Label: b.Label, Value: b.Value, Limit: b.Limit,
		Description: b.Description, Version: 1, CreatedAt: now, UpdatedAt: now, Attachments: []state.Attachment{}}
	ev := state.BlockEvent{SharedID: out.ID, Label: out.Label, Action: state.BlockCreated, After: out.Value, Cause: "POST /v1/blocks", At: now}
	if err := sb.CreateSharedBlock(ctx, out, ev); err != nil {
		return state.SharedBlock{}, err
	}
	return out, nil
}

// GetSharedBlock returns a shared block of the caller's tenant with its attachments.
func (s *Service) GetSharedBlock(ctx context.Context, id string) (state.SharedBlock, error) {
	sb, err := s.sharedStore()
	if err != nil {
		return state.SharedBlock{}, err
	}
	b, err := sb.GetSharedBlock(ctx, id)
	if errors.Is(err, state.ErrNotFound) {
		return b, errorf(ErrNotFound, "shared block %s does not exist", id)
	}
	return b, err
}

// AttachBlock attaches a shared block of the agent's tenant under its label. Attaching it again
// changes the attachment's mode; another block with the label is ErrConflict.
func (s *Service) AttachBlock(ctx context.Context, agentID string, in AttachInput) (state.Block, error) {
	if in.ReadOnly && in.CopyOnWrite {
		return state.Block{}, errorf(ErrInvalidArgument, "an attachment is read_only or copy_on_write, not both")
	}
	if in.BlockID == "" {
		return state.Block{}, errorf(ErrInvalidArgument, "block_id is required")
	}
	a, err := s.agentFor(ctx, agentID, "")
	if err != nil {
		return state.Block{}, err
	}
	sh, err := s.GetSharedBlock(ctx, in.BlockID)
	if err != nil {
		return state.Block{}, err
	}
	if sh.Tenant != a.Tenant { // an unscoped caller still cannot cross tenants
		return state.Block{}, errorf(ErrNotFound, "shared block %s does not exist", in.BlockID)
	}
	b := state.Block{Label: sh.Label, Value: sh.Value, Limit: sh.Limit, Description: sh.Description, SharedID: sh.ID,
		ReadOnly: in.ReadOnly, CopyOnWrite: in.CopyOnWrite, Version: sh.Version}
	err = s.cfg.Store.Page(ctx, agentID, func(ctx context.Context, p state.Page) (state.Change, error) {
		a := p.Agent()
		blocks, err := p.Blocks(ctx)
		if err != nil {
			return state.Change{}, err
		}
		i := sort.Search(len(blocks), func(i int) bool { return blocks[i].Label >= b.Label })
		switch {
		case i < len(blocks) && blocks[i].Label == b.Label && blocks[i].SharedID != b.SharedID:
			return state.Change{}, errorf(ErrConflict, "agent %s already has a block labelled %q", agentID, b.Label)
		case i < len(blocks) && blocks[i].Label == b.Label:
			b.Value, b.Limit, b.Description, b.Version = blocks[i].Value, blocks[i].Limit, blocks[i].Description, blocks[i].Version
			blocks[i] = b
		case len(blocks) >= MaxBlocks:
			return state.Change{}, errorf(ErrTooLarge, "an agent has at most %d blocks", MaxBlocks)
		default:
			blocks = append(blocks, b)
			sortBlocks(blocks)
		}
		c, err := s.tokens.Counter(a.Model)
		if err != nil {
			return state.Change{}, err
		}
		a.Context.BlocksTokens = c.Count(RenderBlocks(blocks))
		if err := s.checkFixed(a); err != nil {
			return state.Change{}, err
		}
		return state.Change{PutBlocks: []state.Block{b}, Context: &a.Context}, nil
	})
	return b, agentErr(agentID, err)
}

// DetachBlock removes an agent's attachment of a shared block; the shared block stays.
func (s *Service) DetachBlock(ctx context.Context, agentID, blockID string) error {
	if _, err := s.agentFor(ctx, agentID, ""); err != nil {
		return err
	}
	err := s.cfg.Store.Page(ctx, agentID, func(ctx context.Context, p state.Page) (state.Change, error) {
		a := p.Agent()
		blocks, err := p.Blocks(ctx)
		if err != nil {
			return state.Change{}, err
		}
		i := -1
		for j, b := range blocks {
			if b.SharedID == blockID {
				i = j
			}
		}
		if i < 0 {
			return state.Change{}, errorf(ErrNotFound, "agent %s has no attachment of shared block %s", agentID, blockID)
		}
		label := blocks[i].Label
		blocks = append(blocks[:i], blocks[i+1:]...)
		c, err := s.tokens.Counter(a.Model)
		if err != nil {
			return state.Change{}, err
		}
		a.Context.BlocksTokens = c.Count(RenderBlocks(blocks))
		return state.Change{DeleteBlocks: []string{label}, Context: &a.Context}, nil
	})
	return agentErr(agentID, err)
}

// recountAttached recounts the block tokens of every agent but except that attaches a shared
// block just written. The write is committed; a failure here is logged, and the next write to
// the agent's blocks recounts them anyway.
func (s *Service) recountAttached(ctx context.Context, sharedID, except string) {
	sh, err := s.GetSharedBlock(ctx, sharedID)
	if err != nil {
		s.cfg.Logger.Warn("recount attached agents", "block", sharedID, "err", err)
		return
	}
	for _, at := range sh.Attachments {
		if at.AgentID == except {
			continue
		}
		if err := s.recountBlocks(ctx, at.AgentID); err != nil && !errors.Is(err, state.ErrNotFound) {
			s.cfg.Logger.Warn("recount attached agent", "block", sharedID, "agent", at.AgentID, "err", err)
		}
	}
}

// historyOwner is whose history a block's writes go to: the shared block's for an attachment,
// else the agent's.
func historyOwner(agentID string, b state.Block) string {
	if b.SharedID != "" {
		return b.SharedID
	}
	return agentID
}

// BlockHistory returns the newest MaxBlockHistory writes of a block, oldest first: an
// attachment's are the shared block's, by whichever agent wrote them.
func (s *Service) BlockHistory(ctx context.Context, agentID, label string) ([]state.BlockEvent, error) {
	sb, err := s.sharedStore()
	if err != nil {
		return nil, err
	}
	b, err := s.GetBlock(ctx, agentID, label)
	if err != nil {
		return nil, err
	}
	return sb.BlockHistory(ctx, historyOwner(agentID, b), label, MaxBlockHistory)
}

// UndoBlock undoes the latest write of a block that is not undone yet, restoring the value it
// replaced; undoing again goes one write further back. ErrConflict when there is nothing to
// undo, or the block's value is no longer what that write left. An undo is a write: it needs
// core_memory_replace, a writable block, and it is recorded in the history.
func (s *Service) UndoBlock(ctx context.Context, agentID, label string) (state.Block, error) {
	if _, err := s.agentFor(ctx, agentID, "core_memory_replace"); err != nil {
		return state.Block{}, err
	}
	hist, err := s.BlockHistory(ctx, agentID, label)
	if err != nil {
		return state.Block{}, err
	}
	target, ok := lastUndoable(hist)
	if !ok {
		return state.Block{}, errorf(ErrConflict, "block %q has no write to undo", label)
	}
	return s.editBlock(ctx, agentID, label, blockEdit{cause: fmt.Sprintf("undo of write %d", target.Seq), undoes: target.Seq},
		func(b *state.Block, _ bool) error {
			if b.ReadOnly {
				return errorf(ErrReadOnly, "block %q is read-only", label)
			}
			if b.Value != target.After {
				return errorf(ErrConflict, "block %q changed since write %d; read its history and write the value you want", label, target.Seq)
			}
			b.Value = target.Before
			return nil
		})
}

// lastUndoable finds the newest write in hist (oldest first) that no undo has reverted. A
// creation ends the search: there is nothing before it.
func lastUndoable(hist []state.BlockEvent) (state.BlockEvent, bool) {
	undone := map[int64]bool{}
	for i := len(hist) - 1; i >= 0; i-- {
		e := hist[i]
		switch {
		case e.Action == state.BlockUndone:
			undone[e.Undoes] = true
		case undone[e.Seq]:
		case e.Action == state.BlockWritten || e.Action == state.BlockCopied:
			return e, true
		case e.Action == state.BlockCreated:
			return state.BlockEvent{}, false
		}
	}
	return state.BlockEvent{}, false
}
