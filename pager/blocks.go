package pager

import (
	"context"
	"errors"
	"html"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/memsvc/memsvc/state"
)

func sortBlocks(bs []state.Block) {
	sort.Slice(bs, func(i, j int) bool { return bs[i].Label < bs[j].Label })
}

// RenderBlocks renders core memory blocks the way they enter the context: each with its label,
// description, size against its limit, and whether the agent may edit it.
func RenderBlocks(bs []state.Block) string {
	if len(bs) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("<memory_blocks>\nThe following memory blocks are in your core memory.\n")
	for _, bl := range bs {
		b.WriteString("<")
		b.WriteString(bl.Label)
		b.WriteString(">\n")
		if bl.Description != "" {
			b.WriteString("<description>")
			b.WriteString(html.EscapeString(bl.Description))
			b.WriteString("</description>\n")
		}
		b.WriteString("<metadata>chars_current=")
		b.WriteString(strconv.Itoa(utf8.RuneCountInString(bl.Value)))
		b.WriteString(" chars_limit=")
		b.WriteString(strconv.Itoa(bl.Limit))
		if bl.ReadOnly {
			b.WriteString(" read_only=true")
		}
		b.WriteString("</metadata>\n<value>\n")
		b.WriteString(bl.Value)
		b.WriteString("\n</value>\n</")
		b.WriteString(bl.Label)
		b.WriteString(">\n")
	}
	b.WriteString("</memory_blocks>")
	return b.String()
}

// ListBlocks returns an agent's blocks, ordered by label, attachments of shared blocks included.
func (s *Service) ListBlocks(ctx context.Context, agentID string) ([]state.Block, error) {
	if _, err := s.agentFor(ctx, agentID, ""); err != nil {
		return nil, err
	}
	return s.cfg.Store.ListBlocks(ctx, agentID)
}

// GetBlock returns one block.
func (s *Service) GetBlock(ctx context.Context, agentID, label string) (state.Block, error) {
	if _, err := s.agentFor(ctx, agentID, ""); err != nil {
		return state.Block{}, err
	}
	b, err := s.cfg.Store.GetBlock(ctx, agentID, label)
	if errors.Is(err, state.ErrNotFound) {
		return state.Block{}, errorf(ErrNotFound, "agent %s has no block %q", agentID, label)
	}
	return b, err
}

// BlockInput writes a block through the REST API. Nil fields keep the existing block's values.
type BlockInput struct {
	Value       *string `json:"value"`
	Limit       *int    `json:"limit"`
	ReadOnly    *bool   `json:"read_only"`
	Description *string `json:"description"`
}

// PutBlock creates or replaces a block. A read-only block answers ErrReadOnly; a value over the
// limit ErrUnprocessable; an agent whose policy denies core_memory_replace ErrPermissionDenied.
// Through an attachment it writes the shared block (or, copy-on-write, the agent's private copy).
func (s *Service) PutBlock(ctx context.Context, agentID, label string, in BlockInput) (state.Block, error) {
	if _, err := s.agentFor(ctx, agentID, "core_memory_replace"); err != nil {
		return state.Block{}, err
	}
	return s.editBlock(ctx, agentID, label, blockEdit{create: true, cause: "PUT block"}, func(b *state.Block, exists bool) error {
		if exists && b.ReadOnly {
			return errorf(ErrReadOnly, "block %q is read-only", label)
		}
		if in.Value == nil && !exists {
			return errorf(ErrInvalidArgument, "value is required to create block %q", label)
		}
		if in.Value != nil {
			b.Value = *in.Value
		}
		if in.Limit != nil {
			b.Limit = *in.Limit
		}
		if in.ReadOnly != nil {
			b.ReadOnly = *in.ReadOnly
		}
		if in.Description != nil {
			b.Description = *in.Description
		}
		return nil
	})
}

// blockEdit says how editBlock records a write.
type blockEdit struct {
	create bool   // create the block when it does not exist
	cause  string // what made the write, for the history
	undoes int64  // the history entry this write undoes, 0 for none
}

// maxSharedRetries bounds the retries of a write to a shared block that another agent wrote first.
// Each conflict means another write went through, so writers make progress together; a short,
// growing, jittered pause spreads out the ones that collided.
const maxSharedRetries = 30

// editBlock changes one block under the agent's lock, records the write in the block's history,
// and recounts the blocks' tokens. Through a writable attachment it writes the shared block
// (retrying when another agent wrote it in between) and then recounts every other attached
// agent's tokens; through a copy-on-write attachment it makes the agent's private copy.
func (s *Service) editBlock(ctx context.Context, agentID, label string, how blockEdit, edit func(b *state.Block, exists bool) error) (state.Block, error) {
	var out state.Block
	var shared string
	for attempt := 1; ; attempt++ {
		shared = ""
		err := s.cfg.Store.Page(ctx, agentID, func(ctx context.Context, p state.Page) (state.Change, error) {
			a := p.Agent()
			blocks, err := p.Blocks(ctx)
			if err != nil {
				return state.Change{}, err
			}
			i := sort.Search(len(blocks), func(i int) bool { return blocks[i].Label >= label })
			exists := i < len(blocks) && blocks[i].Label == label
			b := state.Block{Label: label}
			if exists {
				b = blocks[i]
			} else if !how.create {
				return state.Change{}, errorf(ErrNotFound, "agent %s has no block %q", agentID, label)
			} else if len(blocks) >= MaxBlocks {
				return state.Change{}, errorf(ErrTooLarge, "an agent has at most %d blocks", MaxBlocks)
			}
			before := b
			if err := edit(&b, exists); err != nil {
				return state.Change{}, err
			}
			// An edit changes the block's content and flags, never what it is attached to.
			b.Label, b.SharedID, b.CopyOnWrite, b.Version = label, before.SharedID, before.CopyOnWrite, before.Version
			if err := normalizeBlock(&b); err != nil {
				return state.Change{}, err
			}
			now := s.now()
			ev := state.BlockEvent{AgentID: a.ID, Label: label, Action: state.BlockWritten, Before: before.Value, After: b.Value,
				Undoes: how.undoes, Cause: how.cause, At: now}
			var ch state.Change
			switch {
			case !exists:
				ev.Action = state.BlockCreated
				ch.PutBlocks = []state.Block{b}
			case before.SharedID == "":
				ch.PutBlocks = []state.Block{b}
			case before.CopyOnWrite:
				// The first write makes the private copy; the shared block and the others stay.
				ev.Action, ev.SharedID = state.BlockCopied, before.SharedID
				b.SharedID, b.CopyOnWrite, b.Version = "", false, 0
				ch.PutBlocks = []state.Block{b}
			default:
				ev.SharedID, shared = before.SharedID, before.SharedID
				ch.SharedWrites = []state.SharedBlock{{ID: b.SharedID, Value: b.Value, Limit: b.Limit,
					Description: b.Description, Version: b.Version, UpdatedAt: now}}
				ch.PutBlocks = []state.Block{b} // the attachment's own flags
			}
			if how.undoes != 0 && ev.Action != state.BlockCopied {
				ev.Action = state.BlockUndone
			}
			if ev.Action == state.BlockCreated || ev.Before != ev.After || how.undoes != 0 {
				ch.BlockEvents = []state.BlockEvent{ev}
			}
			if exists {
				blocks[i] = b
			} else {
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
			ch.Context = &a.Context
			out = b
			return ch, nil
		})
		if errors.Is(err, state.ErrConflict) && attempt < maxSharedRetries {
			// Another agent wrote the shared block since we read it: read it again.
			select {
			case <-ctx.Done():
				return out, ctx.Err()
			case <-time.After(time.Duration(rand.Int64N(int64(attempt)*int64(time.Millisecond) + 1))):
			}
			continue
		}
		if errors.Is(err, state.ErrConflict) {
			return out, errorf(ErrConflict, "shared block of %q is being written by other agents; retry", label)
		}
		if err != nil {
			return out, agentErr(agentID, err)
		}
		break
	}
	if shared != "" {
		s.recountAttached(ctx, shared, agentID)
	}
	return out, nil
}

// recountBlocks recounts the tokens of an agent's blocks, which change when a shared block it
// attaches is written through another agent.
func (s *Service) recountBlocks(ctx context.Context, agentID string) error {
	return s.cfg.Store.Page(ctx, agentID, func(ctx context.Context, p state.Page) (state.Change, error) {
		a := p.Agent()
		blocks, err := p.Blocks(ctx)
		if err != nil {
			return state.Change{}, err
		}
		c, err := s.tokens.Counter(a.Model)
		if err != nil {
			return state.Change{}, err
		}
		n := c.Count(RenderBlocks(blocks))
		if n == a.Context.BlocksTokens {
			return state.Change{}, nil
		}
		a.Context.BlocksTokens = n
		return state.Change{Context: &a.Context}, nil
	})
}
