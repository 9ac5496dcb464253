package pager

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/memsvc/memsvc/archival"
)

// pageOf returns the slice of one tool page and a header telling the model where it is.
func pageOf(n, page int) (lo, hi int, header string) {
	lo, hi = page*ToolPageSize, (page+1)*ToolPageSize
	if lo > n {
		lo = n
	}
	if hi > n {
		hi = n
	}
	if lo == hi {
		return lo, hi, fmt.Sprintf("No results on page %d.", page)
	}
	header = fmt.Sprintf("Results %d-%d (page %d).", lo+1, hi, page)
	if hi == (page+1)*ToolPageSize {
		header += fmt.Sprintf(" There may be more: call again with page=%d.", page+1)
	}
	return lo, hi, header
}

func (s *Service) archivalSearchTool(ctx context.Context, agentID, query string, page int) (ToolResult, error) {
	hits, err := s.SearchArchival(ctx, agentID, ArchivalQuery{Query: query, K: (page + 1) * ToolPageSize})
	if err != nil {
		return ToolResult{}, err
	}
	lo, hi, header := pageOf(len(hits), page)
	var b strings.Builder
	b.WriteString(header)
	for i, h := range hits[lo:hi] {
		p := h.Passage
		fmt.Fprintf(&b, "\n[%d] %s (id %s, true since %s, %s)", lo+i+1, p.Text, p.ID, p.ValidFrom.Format("2006-01-02"), describeStatus(p))
	}
	return ToolResult{Content: b.String(), Data: map[string]any{"results": hits[lo:hi], "page": page}}, nil
}

// describeStatus says in plain words whether a memory still holds.
func describeStatus(p archival.Passage) string {
	switch p.Status {
	case archival.StatusValid:
		return "valid"
	case archival.StatusSuperseded:
		if p.SupersededBy != "" {
			return "SUPERSEDED by " + p.SupersededBy + ": no longer true"
		}
		return "SUPERSEDED: no longer true"
	case archival.StatusInvalidated:
		return "INVALIDATED: no longer true"
	case archival.StatusExpired:
		return "EXPIRED: no longer true"
	}
	return string(p.Status)
}

func (s *Service) conversationSearchTool(ctx context.Context, agentID, query string, page int) (ToolResult, error) {
	hits, err := s.SearchRecall(ctx, agentID, RecallQuery{Query: query, K: (page + 1) * ToolPageSize})
	if err != nil {
		return ToolResult{}, err
	}
	lo, hi, header := pageOf(len(hits), page)
	var b strings.Builder
	b.WriteString(header)
	for i, h := range hits[lo:hi] {
		m := h.Message
		where := "in context"
		if !m.InContext {
			where = "evicted"
		}
		fmt.Fprintf(&b, "\n[%d] %s %s (seq %d, %s): %s", lo+i+1, m.CreatedAt.Format("2006-01-02 15:04"), m.Role, m.Seq, where,
			firstSentence(strings.Join(strings.Fields(m.Content), " "), 600))
	}
	return ToolResult{Content: b.String(), Data: map[string]any{"results": hits[lo:hi], "page": page}}, nil
}

// Invalidate marks a passage as no longer true (superseded when supersededBy is given).
func (s *Service) Invalidate(ctx context.Context, agentID, id, reason, supersededBy string) (archival.Passage, error) {
	if _, err := s.cfg.Store.GetAgent(ctx, agentID); err != nil {
		return archival.Passage{}, agentErr(agentID, err)
	}
	p, err := s.cfg.Archival.Get(ctx, agentID, id)
	if err != nil {
		return archival.Passage{}, passageErr(id, err)
	}
	if supersededBy != "" {
		if supersededBy == id {
			return archival.Passage{}, errorf(ErrInvalidArgument, "a passage cannot supersede itself")
		}
		if _, err := s.cfg.Archival.Get(ctx, agentID, supersededBy); errors.Is(err, archival.ErrNotFound) {
			return archival.Passage{}, errorf(ErrNotFound, "superseded_by: passage %s does not exist", supersededBy)
		} else if err != nil {
			return archival.Passage{}, err
		}
		p.Status, p.SupersededBy = archival.StatusSuperseded, supersededBy
	} else {
		p.Status = archival.StatusInvalidated
	}
	now := s.now()
	p.ValidTo = &now
	if p.Metadata == nil {
		p.Metadata = map[string]any{}
	}
	p.Metadata["invalidation_reason"] = reason
	if len(p.Vector) == 0 {
		v, err := s.cfg.Embedder.Embed(ctx, []string{p.Text})
		if err != nil {
			return archival.Passage{}, err
		}
		p.Vector = v[0]
	}
	if err := s.cfg.Archival.Upsert(ctx, []archival.Passage{p}); err != nil {
		return archival.Passage{}, err
	}
	return p, nil
}
