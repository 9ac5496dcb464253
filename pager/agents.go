package pager

import (
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/memsvc/memsvc/archival"
	"github.com/memsvc/memsvc/retry"
	"github.com/memsvc/memsvc/state"
)

// Limits on agent definitions.
const (
	DefaultContextWindow = 8192
	MinContextWindow     = 256
	MaxContextWindow     = 2_000_000
	DefaultBlockLimit    = 2000
	MaxBlockLimit        = 100_000
	MaxBlocks            = 64
	MaxSystemChars       = 200_000
	MaxNameChars         = 200
	MaxMetadataBytes     = 16 << 10
)

// DefaultPager is the paging policy of the MemGPT paper: warn at 70%, flush at 100%, evict to 50%,
// keep the last 4 messages.
var DefaultPager = state.PagerConfig{WarnRatio: 0.7, FlushRatio: 1.0, TargetRatio: 0.5, KeepLast: 4}

var labelRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]{0,63}$`)

// PagerSpec is an agent's paging policy as a client sends it; nil fields take defaults.
type PagerSpec struct {
	WarnRatio   *float64 `json:"warn_ratio,omitempty"`
	FlushRatio  *float64 `json:"flush_ratio,omitempty"`
	TargetRatio *float64 `json:"target_ratio,omitempty"`
	KeepLast    *int     `json:"keep_last,omitempty"`
}

// AgentSpec creates an agent.
type AgentSpec struct {
	Name          string        `json:"name"`
	System        string        `json:"system"`
	ContextWindow int           `json:"context_window"`
	Model         string        `json:"model"`
	Blocks        []state.Block `json:"blocks"`
	Pager         *PagerSpec    `json:"pager"`
	// ToolsInContext (default true) counts the memory tools' definitions against the window.
	ToolsInContext *bool           `json:"tools_in_context"`
	Metadata       json.RawMessage `json:"metadata"`
	// Permissions is the agent's own deny-first policy (see CheckPermissions); nil for none.
	Permissions *state.Permissions `json:"permissions"`
}

// AgentPatch changes an agent; nil fields stay as they are.
type AgentPatch struct {
	Name           *string         `json:"name"`
	System         *string         `json:"system"`
	ContextWindow  *int            `json:"context_window"`
	Model          *string         `json:"model"`
	Pager          *PagerSpec      `json:"pager"`
	ToolsInContext *bool           `json:"tools_in_context"`
	Metadata       json.RawMessage `json:"metadata"`
	// Permissions replaces the agent's policy; {"allow": [], "deny": []} clears it.
	Permissions *state.Permissions `json:"permissions"`
}

// AgentView is an agent with its blocks and context state, as the API shows it.
type AgentView struct {
	state.Agent
	Blocks  []state.Block `json:"blocks"`
	Context ContextState  `json:"context"`
}

func (p *PagerSpec) apply(c state.PagerConfig) state.PagerConfig {
	if p == nil {
		return c
	}
	if p.WarnRatio != nil {
		c.WarnRatio = *p.WarnRatio
	}
	if p.FlushRatio != nil {
		c.FlushRatio = *p.FlushRatio
	}
	if p.TargetRatio != nil {
		c.TargetRatio = *p.TargetRatio
	}
	if p.KeepLast != nil {
		c.KeepLast = *p.KeepLast
	}
	return c
}

func validatePager(c state.PagerConfig) error {
	switch {
	case !(c.FlushRatio > 0 && c.FlushRatio <= 1):
		return errorf(ErrInvalidArgument, "pager.flush_ratio must be in (0, 1], got %v", c.FlushRatio)
	case !(c.WarnRatio > 0 && c.WarnRatio <= c.FlushRatio):
		return errorf(ErrInvalidArgument, "pager.warn_ratio must be in (0, flush_ratio], got %v", c.WarnRatio)
	case !(c.TargetRatio > 0 && c.TargetRatio < c.FlushRatio):
		return errorf(ErrInvalidArgument, "pager.target_ratio must be in (0, flush_ratio), got %v", c.TargetRatio)
	case c.KeepLast < 0 || c.KeepLast > 1000:
		return errorf(ErrInvalidArgument, "pager.keep_last must be in [0, 1000], got %d", c.KeepLast)
	}
	return nil
}

func validateAgent(a *state.Agent) error {
	if utf8.RuneCountInString(a.Name) > MaxNameChars {
		return errorf(ErrInvalidArgument, "name is longer than %d characters", MaxNameChars)
	}
	if len(a.System) > MaxSystemChars {
		return errorf(ErrTooLarge, "system is longer than %d bytes", MaxSystemChars)
	}
	if a.ContextWindow < MinContextWindow || a.ContextWindow > MaxContextWindow {
		return errorf(ErrInvalidArgument, "context_window must be in [%d, %d], got %d", MinContextWindow, MaxContextWindow, a.ContextWindow)
	}
	if err := errors.Join(checkText("name", a.Name), checkText("system", a.System), checkText("model", a.Model)); err != nil {
		return err
	}
	if len(a.Metadata) > 0 && !json.Valid(a.Metadata) {
		return errorf(ErrInvalidArgument, "metadata is not valid JSON")
	}
	if len(a.Metadata) > MaxMetadataBytes {
		return errorf(ErrTooLarge, "metadata is larger than %d bytes", MaxMetadataBytes)
	}
	if err := CheckPermissions("permissions", a.Permissions); err != nil {
		return err
	}
	return validatePager(a.Pager)
}

// normalizeBlock fills a block's default limit and checks it. Over-limit values are 422.
func normalizeBlock(b *state.Block) error {
	if !labelRE.MatchString(b.Label) {
		return errorf(ErrInvalidArgument, "block label %q must match %s", b.Label, labelRE)
	}
	if b.Limit == 0 {
		b.Limit = DefaultBlockLimit
	}
	if b.Limit < 0 || b.Limit > MaxBlockLimit {
		return errorf(ErrInvalidArgument, "block %q: limit must be in [1, %d], got %d", b.Label, MaxBlockLimit, b.Limit)
	}
	if err := errors.Join(checkText("block value", b.Value), checkText("block description", b.Description)); err != nil {
		return err
	}
	if n := utf8.RuneCountInString(b.Value); n > b.Limit {
		return errorf(ErrUnprocessable, "block %q: value has %d characters, over its limit of %d", b.Label, n, b.Limit)
	}
	if len(b.Description) > 2000 {
		return errorf(ErrInvalidArgument, "block %q: description is longer than 2000 bytes", b.Label)
	}
	return nil
}

// CreateAgent validates spec and stores a new agent with its blocks.
func (s *Service) CreateAgent(ctx context.Context, spec AgentSpec) (AgentView, error) {
	now := s.now()
	a := state.Agent{
		ID:             state.NewID("ag"),
		Name:           strings.TrimSpace(spec.Name),
		System:         spec.System,
		ContextWindow:  spec.ContextWindow,
		Model:          spec.Model,
		Pager:          spec.Pager.apply(DefaultPager),
		Metadata:       spec.Metadata,
		ToolsInContext: spec.ToolsInContext == nil || *spec.ToolsInContext,
		CreatedAt:      now,
		UpdatedAt:      now,
		Tenant:         tenantOf(ctx),
		Permissions:    normalizePermissions(spec.Permissions),
	}
	if a.ContextWindow == 0 {
		a.ContextWindow = DefaultContextWindow
	}
	if err := validateAgent(&a); err != nil {
		return AgentView{}, err
	}
	if len(spec.Blocks) > MaxBlocks {
		return AgentView{}, errorf(ErrTooLarge, "an agent has at most %d blocks, got %d", MaxBlocks, len(spec.Blocks))
	}
	seen := make(map[string]bool)
	blocks := make([]state.Block, len(spec.Blocks))
	for i, b := range spec.Blocks {
		if b.SharedID != "" || b.CopyOnWrite {
			return AgentView{}, errorf(ErrInvalidArgument, "blocks[%d]: attach a shared block with POST /v1/agents/{agent_id}/attachments once the agent exists", i)
		}
		if err := normalizeBlock(&b); err != nil {
			return AgentView{}, err
		}
		if seen[b.Label] {
			return AgentView{}, errorf(ErrInvalidArgument, "block label %q appears twice", b.Label)
		}
		seen[b.Label] = true
		blocks[i] = b
	}
	sortBlocks(blocks)
	c, err := s.tokens.Counter(a.Model)
	if err != nil {
		return AgentView{}, err
	}
	a.Context.SystemTokens = c.Count(a.System)
	a.Context.BlocksTokens = c.Count(RenderBlocks(blocks))
	if err := s.checkFixed(a); err != nil {
		return AgentView{}, err
	}
	if err := s.cfg.Store.CreateAgent(ctx, a, blocks); err != nil {
		return AgentView{}, err
	}
	return AgentView{Agent: a, Blocks: blocks, Context: s.contextState(a)}, nil
}

// checkFixed refuses an agent whose fixed sections leave no room for messages under target_ratio.
func (s *Service) checkFixed(a state.Agent) error {
	fixed := a.Context.SystemTokens + a.Context.BlocksTokens + s.toolTokens(a) + summaryBudget(a.ContextWindow)
	room := int(a.Pager.TargetRatio * float64(a.ContextWindow))
	if fixed >= room {
		return errorf(ErrUnprocessable, "system prompt, blocks, tool definitions and the summary reserve take %d tokens, "+
			"leaving nothing under target_ratio × context_window = %d: raise context_window, shorten them, "+
			"or set tools_in_context to false if the model is not handed memsvc's tools", fixed, room)
	}
	return nil
}

// GetAgent returns an agent with its blocks and context state.
func (s *Service) GetAgent(ctx context.Context, id string) (AgentView, error) {
	a, err := s.agentFor(ctx, id, "")
	if err != nil {
		return AgentView{}, err
	}
	blocks, err := s.cfg.Store.ListBlocks(ctx, id)
	if err != nil {
		return AgentView{}, agentErr(id, err)
	}
	return AgentView{Agent: a, Blocks: blocks, Context: s.contextState(a)}, nil
}

// ListAgents lists agents, oldest first.
func (s *Service) ListAgents(ctx context.Context, opts state.ListOptions) ([]state.Agent, string, error) {
	if opts.Limit <= 0 || opts.Limit > 1000 {
		if opts.Limit < 0 || opts.Limit > 1000 {
			return nil, "", errorf(ErrInvalidArgument, "limit must be in [1, 1000], got %d", opts.Limit)
		}
		opts.Limit = 100
	}
	agents, next, err := s.cfg.Store.ListAgents(ctx, opts)
	if errors.Is(err, state.ErrInvalid) {
		return nil, "", errorf(ErrInvalidArgument, "cursor is not valid")
	}
	return agents, next, err
}

// UpdateAgent applies a patch under the agent's lock and recounts the fixed sections.
func (s *Service) UpdateAgent(ctx context.Context, id string, patch AgentPatch) (AgentView, error) {
	var out state.Agent
	err := s.cfg.Store.Page(ctx, id, func(ctx context.Context, p state.Page) (state.Change, error) {
		a := p.Agent()
		if patch.Name != nil {
			a.Name = strings.TrimSpace(*patch.Name)
		}
		if patch.System != nil {
			a.System = *patch.System
		}
		if patch.ContextWindow != nil {
			a.ContextWindow = *patch.ContextWindow
		}
		if patch.Model != nil {
			a.Model = *patch.Model
		}
		if patch.ToolsInContext != nil {
			a.ToolsInContext = *patch.ToolsInContext
		}
		if len(patch.Metadata) > 0 {
			a.Metadata = patch.Metadata
		}
		if patch.Permissions != nil {
			a.Permissions = normalizePermissions(patch.Permissions)
		}
		a.Pager = patch.Pager.apply(a.Pager)
		if err := validateAgent(&a); err != nil {
			return state.Change{}, err
		}
		c, err := s.tokens.Counter(a.Model)
		if err != nil {
			return state.Change{}, err
		}
		blocks, err := p.Blocks(ctx)
		if err != nil {
			return state.Change{}, err
		}
		a.Context.SystemTokens = c.Count(a.System)
		a.Context.BlocksTokens = c.Count(RenderBlocks(blocks))
		if err := s.checkFixed(a); err != nil {
			return state.Change{}, err
		}
		a.UpdatedAt = s.now()
		out = a
		return state.Change{Agent: &a, Context: &a.Context}, nil
	})
	if err != nil {
		return AgentView{}, agentErr(id, err)
	}
	return s.GetAgent(ctx, out.ID)
}

// DeleteAgent removes an agent and every memory it has: state, recall and archival.
//
// State goes first, then archival. An archival write racing the deletion checks that the agent
// still exists after its write commits (UpdateArchival), and removes the agent's passages itself
// when it does not: a write that commits before the archival delete is removed by it, and one
// that commits after it sees the agent gone and removes itself, so no passage is left behind.
// The archival delete is retried a few times on a transient failure; one that still fails is
// logged and answered as an error (the agent is gone, its passages are not).
func (s *Service) DeleteAgent(ctx context.Context, id string) error {
	if _, err := s.agentFor(ctx, id, ""); err != nil {
		return err
	}
	if err := s.cfg.Store.DeleteAgent(ctx, id); err != nil {
		return agentErr(id, err)
	}
	s.models.Delete(id)
	ctx = context.WithoutCancel(ctx)
	var err error
	for n := range retry.DefaultRetries + 1 {
		if err = s.cfg.Archival.DeleteAgent(ctx, id); err == nil || !errors.Is(err, archival.ErrUnavailable) {
			break
		}
		_ = retry.Sleep(ctx, retry.Delay(retry.DefaultBackoff, n))
	}
	if err != nil {
		s.cfg.Logger.Error("delete agent: archival passages left behind", "agent", id, "err", err)
	}
	return err
}

// agentExists returns the agent's ErrNotFound once it is deleted. It asks whether the agent
// exists at all, whatever ctx's scope (state.AllTenants): its answer deletes passages, so a caller
// that cannot see the agent must not read as "deleted".
func (s *Service) agentExists(ctx context.Context, id string) error {
	_, err := s.cfg.Store.GetAgent(state.AllTenants(ctx), id)
	return agentErr(id, err)
}

// UpdateArchival is archival.Store.Update for an agent that must still exist: once the write
// commits, it checks the agent, and when it was deleted meanwhile it deletes the agent's passages
// again (see DeleteAgent) and answers ErrNotFound. Every archival write of the pager and of
// compaction goes through it. (The check cannot run inside fn: on PostgreSQL fn runs on a pool
// connection holding the lock, and a second connection for the check can deadlock the pool.)
func (s *Service) UpdateArchival(ctx context.Context, agentID string, ids []string, fn func(cur []*archival.Passage) ([]archival.Passage, error)) error {
	if err := s.cfg.Archival.Update(ctx, agentID, ids, fn); err != nil {
		return err
	}
	err := s.agentExists(ctx, agentID)
	if errors.Is(err, ErrNotFound) {
		if derr := s.cfg.Archival.DeleteAgent(context.WithoutCancel(ctx), agentID); derr != nil {
			s.cfg.Logger.Error("archival write raced its agent's deletion: passages left behind", "agent", agentID, "err", derr)
		}
	}
	return err
}
