package pager

import (
	"context"

	"github.com/memsvc/memsvc/state"
)

// CheckTenant refuses a malformed tenant name.
func CheckTenant(tenant string) error {
	if !state.TenantRE.MatchString(tenant) {
		return errorf(ErrInvalidArgument, "tenant %q must match %s", truncate(tenant, 80), state.TenantRE)
	}
	return nil
}

// tenantOf is the tenant a new resource belongs to: the caller's (state.WithTenant), or the
// default tenant for an unscoped caller.
func tenantOf(ctx context.Context) string {
	return state.AgentTenant(ctx, "")
}
