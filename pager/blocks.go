package pager

import (
	"context"
	"errors"
	"html"
	"sort"
	"strconv"
	"strings"
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

// ListBlocks returns an agent's blocks, ordered by label.
func (s *Service) ListBlocks(ctx context.Context, agentID string) ([]state.Block, error) {
	if _, err := s.cfg.Store.GetAgent(ctx, agentID); err != nil {
		return nil, agentErr(agentID, err)
	}
	return s.cfg.Store.ListBlocks(ctx, agentID)
}

// GetBlock returns one block.
func (s *Service) GetBlock(ctx context.Context, agentID, label string) (state.Block, error) {
	if _, err := s.cfg.Store.GetAgent(ctx, agentID); err != nil {
		return state.Block{}, agentErr(agentID, err)
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
// limit ErrUnprocessable.
func (s *Service) PutBlock(ctx context.Context, agentID, label string, in BlockInput) (state.Block, error) {
	return s.editBlock(ctx, agentID, label, true, func(b *state.Block, exists bool) error {
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

// editBlock changes one block under the agent's lock and recounts the blocks' tokens.
func (s *Service) editBlock(ctx context.Context, agentID, label string, create bool, edit func(b *state.Block, exists bool) error) (state.Block, error) {
	var out state.Block
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
		} else if !create {
			return state.Change{}, errorf(ErrNotFound, "agent %s has no block %q", agentID, label)
		} else if len(blocks) >= MaxBlocks {
			return state.Change{}, errorf(ErrTooLarge, "an agent has at most %d blocks", MaxBlocks)
		}
		if err := edit(&b, exists); err != nil {
			return state.Change{}, err
		}
		if err := normalizeBlock(&b); err != nil {
			return state.Change{}, err
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
		out = b
		return state.Change{PutBlocks: []state.Block{b}, Context: &a.Context}, nil
	})
	return out, agentErr(agentID, err)
}
