package state

import (
	"context"
	"encoding/json"
	"regexp"
	"time"
)

// DefaultTenant owns every agent created without a tenant: before keys existed, and by loopback
// clients while none are configured.
const DefaultTenant = "default"

// TenantRE is what a tenant's name must match.
var TenantRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]{0,63}$`)

type scopeKey struct{}

// scope is what a context may see: one tenant's resources, or, for a trusted internal caller,
// every tenant's.
type scope struct {
	tenant string
	all    bool
}

// WithTenant returns ctx scoped to tenant. Every Store method that reads or removes an agent or a
// shared block by ID (GetAgent, Page, DeleteAgent, GetSharedBlock, ...) then answers ErrNotFound
// for another tenant's, and ListAgents lists only the tenant's.
//
// Scope fails closed: a context that is neither scoped to a tenant nor marked AllTenants sees
// nothing (no agent is found, none listed). A code path that forgets to scope its context
// therefore shows no data, rather than every tenant's.
func WithTenant(ctx context.Context, tenant string) context.Context {
	return context.WithValue(ctx, scopeKey{}, scope{tenant: tenant})
}

// AllTenants returns ctx marked as a trusted internal caller that sees every tenant's resources:
// the background workers (compaction, outbox, checkpoints) and the operator's own commands, which
// act on an agent by ID whatever its tenant. Request handlers never use it. A later WithTenant
// narrows the context again.
func AllTenants(ctx context.Context) context.Context {
	return context.WithValue(ctx, scopeKey{}, scope{all: true})
}

// TenantFrom returns the tenant ctx is scoped to, and false when it is not scoped to one.
func TenantFrom(ctx context.Context) (string, bool) {
	sc, ok := ctx.Value(scopeKey{}).(scope)
	return sc.tenant, ok && !sc.all
}

// TenantFilter is how a store applies ctx's scope to a query: all is true for an AllTenants
// context (no filter); otherwise only rows of tenant may be seen, and tenant is "" (which no
// agent has) for a context without a scope, so that it sees nothing.
func TenantFilter(ctx context.Context) (tenant string, all bool) {
	sc, _ := ctx.Value(scopeKey{}).(scope)
	return sc.tenant, sc.all
}

// AgentTenant is the tenant a new agent belongs to: ctx's when it is scoped (a caller cannot
// create an agent in another tenant), else tenant, else DefaultTenant.
func AgentTenant(ctx context.Context, tenant string) string {
	if t, ok := TenantFrom(ctx); ok {
		return t
	}
	if tenant == "" {
		return DefaultTenant
	}
	return tenant
}

// Permissions is a deny-first policy over memory actions (the names are the pager's: tool names
// and the REST writes that match them). Deny always wins; a non-empty Allow permits only what it
// names. A tenant's policy and an agent's are both applied, so neither can widen the other.
type Permissions struct {
	Allow []string `json:"allow"`
	Deny  []string `json:"deny"`
}

// APIKey is a stored API key. Only the SHA-256 of the secret is kept; the token itself is shown
// once, when the key is created.
type APIKey struct {
	ID        string     `json:"id"`
	Tenant    string     `json:"tenant"`
	Admin     bool       `json:"admin"`
	Name      string     `json:"name"`
	Hash      []byte     `json:"-"`
	CreatedAt time.Time  `json:"created_at"`
	RevokedAt *time.Time `json:"revoked_at"`
	// MaxSource is the highest passage source the key may claim ("user", the default, or
	// "agent": then its writes cannot be stored, or act, as the user's).
	MaxSource string `json:"max_source"`
}

// KeyStore keeps API keys. The state stores implement it beside Store.
type KeyStore interface {
	// CreateKey stores a new key; ErrConflict if the ID exists.
	CreateKey(ctx context.Context, k APIKey) error
	// GetKey returns a key, revoked or not, or ErrNotFound.
	GetKey(ctx context.Context, id string) (APIKey, error)
	// ListKeys lists keys by ID (opts.Tenant keeps one tenant's); next is "" on the last page.
	// ErrInvalid for a malformed cursor.
	ListKeys(ctx context.Context, opts ListOptions) (keys []APIKey, next string, err error)
	// RevokeKey marks a key revoked at at; revoking it again changes nothing. ErrNotFound if
	// there is no such key.
	RevokeKey(ctx context.Context, id string, at time.Time) error
	// HasKeys reports whether any key is not revoked.
	HasKeys(ctx context.Context) (bool, error)
}

// PolicyStore keeps each tenant's default Permissions.
type PolicyStore interface {
	// TenantPermissions returns a tenant's policy; the zero Permissions when it has none.
	TenantPermissions(ctx context.Context, tenant string) (Permissions, error)
	// SetTenantPermissions replaces a tenant's policy.
	SetTenantPermissions(ctx context.Context, tenant string, p Permissions, at time.Time) error
}

// EncodePermissions is how stores keep a policy: JSON, or nil for none.
func EncodePermissions(p *Permissions) []byte {
	if p == nil {
		return nil
	}
	b, _ := json.Marshal(p)
	return b
}

// DecodePermissions reverses EncodePermissions; empty is nil.
func DecodePermissions(b []byte) (*Permissions, error) {
	if len(b) == 0 {
		return nil, nil
	}
	var p Permissions
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, err
	}
	return &p, nil
}
