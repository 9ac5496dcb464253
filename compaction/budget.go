package compaction

import (
	"context"
	"errors"
	"time"

	"github.com/memsvc/memsvc/pager"
	"github.com/memsvc/memsvc/state"
)

// BudgetView is an agent's compaction account against the fair scheduler's per-agent budget, as
// the API reports it (GET /v1/agents/{agent_id}/compaction-budget).
type BudgetView struct {
	AgentID string `json:"agent_id"`
	// TokensPerPeriod is the budget (tokens in plus out) per period, 0 for unlimited.
	TokensPerPeriod int       `json:"tokens_per_period"`
	PeriodSeconds   float64   `json:"period_seconds"`
	PeriodStart     time.Time `json:"period_start"` // the current period's start (periods align on the clock)
	// Used is what the agent's compactions were charged in the current period; Remaining the rest
	// of the budget (null when unlimited).
	Used      int  `json:"used"`
	Remaining *int `json:"remaining"`
	// Throttled means the agent is over budget: its queued compactions wait for the next period.
	Throttled   bool    `json:"throttled"`
	TokensTotal int     `json:"tokens_total"` // charged over all time
	VRuntime    float64 `json:"vruntime"`     // its virtual time in the scheduler (least runs first)
	Queued      int     `json:"queued"`       // compactions queued and not yet handed out
}

// Budget returns an agent's compaction account against its budget. An unknown agent, or one the
// caller cannot see (another tenant's), is a pager.ErrNotFound error.
func (s *Service) Budget(ctx context.Context, agentID string) (BudgetView, error) {
	if _, err := s.cfg.Store.GetAgent(ctx, agentID); errors.Is(err, state.ErrNotFound) {
		return BudgetView{}, &pager.Error{Kind: pager.ErrNotFound, Msg: "agent " + agentID + " does not exist"}
	} else if err != nil {
		return BudgetView{}, err
	}
	acc, err := s.cfg.Store.CompactionAccount(ctx, agentID)
	if err != nil {
		return BudgetView{}, err
	}
	queued, err := s.cfg.Store.QueuedCompactions(ctx, agentID)
	if err != nil {
		return BudgetView{}, err
	}
	return budgetView(acc, s.cfg.Budget, s.now(), len(queued)), nil
}

func budgetView(acc state.CompactionAccount, b Budget, now time.Time, queued int) BudgetView {
	period := periodStart(now, b)
	v := BudgetView{AgentID: acc.AgentID, TokensPerPeriod: b.Tokens, PeriodSeconds: b.Period.Seconds(), PeriodStart: period,
		TokensTotal: acc.TokensTotal, VRuntime: acc.VRuntime, Queued: queued}
	if acc.PeriodStart.Equal(period) {
		v.Used = acc.PeriodTokens
	}
	if b.Tokens > 0 {
		rest := max(0, b.Tokens-v.Used)
		v.Remaining = &rest
		v.Throttled = v.Used >= b.Tokens // as plan decides
	}
	return v
}
