package pager

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/memsvc/memsvc/state"
)

// ErrPermissionDenied is the kind of an error for an action an agent's permissions deny (403).
var ErrPermissionDenied = errors.New("permission denied by policy")

// The actions a policy names: the memory tools by their names, and the REST writes that are not
// tools. A REST write counts as the tool it matches, so one rule covers both paths:
//
//	archival_memory_insert  tool, and POST   /v1/agents/{id}/archival
//	archival_memory_search  tool
//	conversation_search     tool
//	core_memory_append      tool
//	core_memory_replace     tool, and PUT    /v1/agents/{id}/blocks/{label}, POST …/blocks/{label}/undo
//	memory_invalidate       tool, and POST   /v1/agents/{id}/archival/{pid}/invalidate
//	memory_restore          POST   /v1/agents/{id}/archival/{pid}/restore
//	archival_delete         DELETE /v1/agents/{id}/archival/{pid}
//
// Reads through REST, message appends, and attaching blocks are not actions: they are governed
// by the tenant boundary alone.
const (
	ActionMemoryRestore  = "memory_restore"
	ActionArchivalDelete = "archival_delete"
)

// Actions lists every action, tools first.
var Actions = func() []string {
	out := make([]string, 0, len(ToolDefs)+2)
	for _, d := range ToolDefs {
		out = append(out, d.Name)
	}
	return append(out, ActionMemoryRestore, ActionArchivalDelete)
}()

// Limits on a policy.
const (
	MaxPermissionRules = 64
)

// matches reports whether a rule names action: the action itself, "*", or a prefix ending in "*"
// ("core_memory_*").
func matches(rule, action string) bool {
	if p, ok := strings.CutSuffix(rule, "*"); ok {
		return strings.HasPrefix(action, p)
	}
	return rule == action
}

// CheckPermissions refuses a policy with an unknown action or too many rules. field names it in
// the message.
func CheckPermissions(field string, p *state.Permissions) error {
	if p == nil {
		return nil
	}
	for _, l := range []struct {
		name  string
		rules []string
	}{{"allow", p.Allow}, {"deny", p.Deny}} {
		if len(l.rules) > MaxPermissionRules {
			return errorf(ErrInvalidArgument, "%s.%s has %d rules, over the limit of %d", field, l.name, len(l.rules), MaxPermissionRules)
		}
		for i, r := range l.rules {
			if !slices.ContainsFunc(Actions, func(a string) bool { return matches(r, a) }) {
				return errorf(ErrInvalidArgument, "%s.%s[%d] %q names no action; the actions are %s, and a rule may end in * to match a prefix",
					field, l.name, i, truncate(r, 64), strings.Join(Actions, ", "))
			}
		}
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// normalizePermissions turns an empty policy into none.
func normalizePermissions(p *state.Permissions) *state.Permissions {
	if p == nil || len(p.Allow) == 0 && len(p.Deny) == 0 {
		return nil
	}
	return &state.Permissions{Allow: slices.Clone(p.Allow), Deny: slices.Clone(p.Deny)}
}

// verdict applies one policy to action: "" when it permits, else why not.
func verdict(p *state.Permissions, action string) string {
	if p == nil {
		return ""
	}
	for _, r := range p.Deny {
		if matches(r, action) {
			return fmt.Sprintf("denied by the rule %q", r)
		}
	}
	if len(p.Allow) > 0 && !slices.ContainsFunc(p.Allow, func(r string) bool { return matches(r, action) }) {
		return "not in its allow list"
	}
	return ""
}

// Permitted reports whether action is permitted under a tenant's policy and an agent's. Deny
// wins over allow; both policies apply, so a tenant's deny (or a tenant's allow list) cannot be
// overridden by the agent's allow. why says which policy refused, and how.
func Permitted(tenant, agent *state.Permissions, action string) (ok bool, why string) {
	// Deny-first: every deny rule, at both levels, before any allow list.
	for _, l := range []struct {
		name string
		p    *state.Permissions
	}{{"the tenant's policy", tenant}, {"the agent's policy", agent}} {
		if l.p != nil && slices.ContainsFunc(l.p.Deny, func(r string) bool { return matches(r, action) }) {
			return false, l.name + ": " + verdict(&state.Permissions{Deny: l.p.Deny}, action)
		}
	}
	if v := verdict(tenant, action); v != "" {
		return false, "the tenant's policy: " + v
	}
	if v := verdict(agent, action); v != "" {
		return false, "the agent's policy: " + v
	}
	return true, ""
}

// tenantPolicy reads the policy of an agent's tenant; none when the store keeps no policies.
func (s *Service) tenantPolicy(ctx context.Context, tenant string) (*state.Permissions, error) {
	ps, ok := s.cfg.Store.(state.PolicyStore)
	if !ok {
		return nil, nil
	}
	p, err := ps.TenantPermissions(ctx, tenant)
	if err != nil {
		return nil, err
	}
	return normalizePermissions(&p), nil
}

// permit answers ErrPermissionDenied, naming the policy, when a's policies deny action.
func (s *Service) permit(ctx context.Context, a state.Agent, action string) error {
	tp, err := s.tenantPolicy(ctx, a.Tenant)
	if err != nil {
		return err
	}
	if ok, why := Permitted(tp, a.Permissions, action); !ok {
		return errorf(ErrPermissionDenied, "permission denied: %s is not permitted for agent %s (%s)", action, a.ID, why)
	}
	return nil
}

// agentFor returns an agent the caller may see (see state.WithTenant), and checks that action is
// permitted for it; action "" checks nothing.
func (s *Service) agentFor(ctx context.Context, agentID, action string) (state.Agent, error) {
	a, err := s.cfg.Store.GetAgent(ctx, agentID)
	if err != nil {
		return a, agentErr(agentID, err)
	}
	if action != "" {
		if err := s.permit(ctx, a, action); err != nil {
			return a, err
		}
	}
	return a, nil
}

// PermissionsView shows the policies that apply to an agent and what they permit.
type PermissionsView struct {
	Agent     *state.Permissions `json:"agent"`
	Tenant    *state.Permissions `json:"tenant"`
	Effective map[string]bool    `json:"effective"`
}

// AgentPermissions returns the policies of an agent and of its tenant, with every action's verdict.
func (s *Service) AgentPermissions(ctx context.Context, agentID string) (PermissionsView, error) {
	a, err := s.agentFor(ctx, agentID, "")
	if err != nil {
		return PermissionsView{}, err
	}
	tp, err := s.tenantPolicy(ctx, a.Tenant)
	if err != nil {
		return PermissionsView{}, err
	}
	v := PermissionsView{Agent: a.Permissions, Tenant: tp, Effective: make(map[string]bool, len(Actions))}
	for _, act := range Actions {
		v.Effective[act], _ = Permitted(tp, a.Permissions, act)
	}
	return v, nil
}

// TenantPermissions returns a tenant's default policy (the zero policy when it has none).
func (s *Service) TenantPermissions(ctx context.Context, tenant string) (state.Permissions, error) {
	if err := CheckTenant(tenant); err != nil {
		return state.Permissions{}, err
	}
	ps, ok := s.cfg.Store.(state.PolicyStore)
	if !ok {
		return state.Permissions{}, errorf(ErrUnprocessable, "this store keeps no tenant policies")
	}
	p, err := ps.TenantPermissions(ctx, tenant)
	if p.Allow == nil {
		p.Allow = []string{}
	}
	if p.Deny == nil {
		p.Deny = []string{}
	}
	return p, err
}

// SetTenantPermissions replaces a tenant's default policy, which applies to every agent of the
// tenant on top of the agent's own.
func (s *Service) SetTenantPermissions(ctx context.Context, tenant string, p state.Permissions) (state.Permissions, error) {
	if err := CheckTenant(tenant); err != nil {
		return state.Permissions{}, err
	}
	if err := CheckPermissions("permissions", &p); err != nil {
		return state.Permissions{}, err
	}
	ps, ok := s.cfg.Store.(state.PolicyStore)
	if !ok {
		return state.Permissions{}, errorf(ErrUnprocessable, "this store keeps no tenant policies")
	}
	if p.Allow == nil {
		p.Allow = []string{}
	}
	if p.Deny == nil {
		p.Deny = []string{}
	}
	if err := ps.SetTenantPermissions(ctx, tenant, p, s.now()); err != nil {
		return state.Permissions{}, err
	}
	return p, nil
}
