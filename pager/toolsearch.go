package pager

import (
	"context"
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
		if p.PossiblySupersededBy != "" {
			return fmt.Sprintf("valid, but possibly superseded by %s (confidence %.2f): check which is current", p.PossiblySupersededBy, p.Confidence)
		}
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
	pending, err := s.cfg.Store.PendingVectors(ctx, agentID)
	if err != nil {
		return ToolResult{}, err
	}
	lo, hi, header := pageOf(len(hits), page)
	var b strings.Builder
	b.WriteString(header)
	if pending > 0 {
		fmt.Fprintf(&b, " (%d of the newest messages are not embedded yet: they are matched by their words only)", pending)
	}
	for i, h := range hits[lo:hi] {
		m := h.Message
		where := "in context"
		if !m.InContext {
			where = "evicted"
		}
		fmt.Fprintf(&b, "\n[%d] %s %s (seq %d, %s): %s", lo+i+1, m.CreatedAt.Format("2006-01-02 15:04"), m.Role, m.Seq, where,
			firstSentence(strings.Join(strings.Fields(m.Content), " "), 600))
	}
	return ToolResult{Content: b.String(), Data: map[string]any{"results": hits[lo:hi], "page": page, "vectors_pending": pending}}, nil
}
