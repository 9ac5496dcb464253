package pager

import (
	"context"
	"fmt"
)

// AgentStats is the size of an agent's memory, cheap enough to show for a page of agents: read
// from the agent's counters and one archival count, never by loading its memories.
type AgentStats struct {
	// Messages counts the messages of the agent's history (its highest seq): in context and
	// evicted, pressure warnings and tool results included.
	Messages int64 `json:"messages"`
	// Evicted counts the messages that left the context (Messages less those in context).
	Evicted  int64        `json:"evicted"`
	Passages int          `json:"passages"` // archival passages, of every status
	Context  ContextState `json:"context"`
}

// Stats returns the size of an agent's memory; ErrNotFound for an unknown agent (or another
// tenant's).
func (s *Service) Stats(ctx context.Context, agentID string) (AgentStats, error) {
	a, err := s.agentFor(ctx, agentID, "")
	if err != nil {
		return AgentStats{}, err
	}
	n, err := s.cfg.Archival.Count(ctx, agentID)
	if err != nil {
		return AgentStats{}, fmt.Errorf("pager: count passages of %s: %w", agentID, err)
	}
	cs := s.contextState(a)
	return AgentStats{Messages: a.Context.LastSeq, Evicted: a.Context.LastSeq - int64(cs.InContext), Passages: n, Context: cs}, nil
}
