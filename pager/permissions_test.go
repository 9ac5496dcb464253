package pager

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/memsvc/memsvc/state"
)

func perms(allow, deny []string) *state.Permissions {
	return &state.Permissions{Allow: allow, Deny: deny}
}

func TestPermitted(t *testing.T) {
	insert := "archival_memory_insert"
	cases := []struct {
		name          string
		tenant, agent *state.Permissions
		action        string
		ok            bool
		why           string
	}{
		{"no policy", nil, nil, insert, true, ""},
		{"tenant deny beats agent allow", perms(nil, []string{insert}), perms([]string{insert}, nil), insert, false, "tenant's policy"},
		{"tenant deny beats agent allow-all", perms(nil, []string{"archival_*"}), perms([]string{"*"}, nil), insert, false, "tenant's policy"},
		{"agent deny under permissive tenant", perms([]string{"*"}, nil), perms(nil, []string{insert}), insert, false, "agent's policy"},
		{"deny beats allow at one level", nil, perms([]string{insert}, []string{insert}), insert, false, "denied by the rule"},
		{"tenant allow list bounds the agent", perms([]string{"archival_memory_search"}, nil), perms([]string{"*"}, nil), insert, false, "allow list"},
		{"agent allow list", nil, perms([]string{"archival_memory_search"}, nil), insert, false, "agent's policy: not in its allow list"},
		{"both allow", perms([]string{"archival_*"}, nil), perms([]string{insert}, nil), insert, true, ""},
		{"prefix deny", nil, perms(nil, []string{"core_memory_*"}), "core_memory_replace", false, "core_memory_*"},
		{"prefix spares others", nil, perms(nil, []string{"core_memory_*"}), "memory_invalidate", true, ""},
		{"deny everything", perms(nil, []string{"*"}), nil, "conversation_search", false, "tenant's policy"},
		// Deny-first: the agent's deny is named even when the tenant's allow list also refuses.
		{"deny before allow lists", perms([]string{"conversation_search"}, nil), perms(nil, []string{insert}), insert, false, "agent's policy: denied"},
	}
	for _, c := range cases {
		ok, why := Permitted(c.tenant, c.agent, c.action)
		if ok != c.ok || !strings.Contains(why, c.why) {
			t.Errorf("%s: Permitted = %v %q, want %v %q", c.name, ok, why, c.ok, c.why)
		}
	}
}

func TestCheckPermissions(t *testing.T) {
	for _, good := range []*state.Permissions{nil, perms(nil, nil), perms([]string{"*"}, []string{"core_memory_*", "memory_restore", "archival_delete"})} {
		if err := CheckPermissions("p", good); err != nil {
			t.Errorf("%+v: %v", good, err)
		}
	}
	for _, bad := range []*state.Permissions{perms([]string{"delete_everything"}, nil), perms(nil, []string{"core_memory_appendx"}),
		perms(nil, []string{"zzz*"}), perms(nil, []string{""}), perms(nil, make([]string, MaxPermissionRules+1))} {
		if err := CheckPermissions("p", bad); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("%+v: %v, want ErrInvalidArgument", bad, err)
		}
	}
}

// An unscoped caller (a background worker) still cannot attach another tenant's shared block.
func TestAttachChecksTenantWithoutScope(t *testing.T) {
	svc, _, _ := newTestService(t)
	ctx := state.WithTenant(context.Background(), state.DefaultTenant)
	acme, globex := state.WithTenant(ctx, "acme"), state.WithTenant(ctx, "globex")
	a, err := svc.CreateAgent(acme, AgentSpec{Name: "a"})
	if err != nil {
		t.Fatal(err)
	}
	sb, err := svc.CreateSharedBlock(globex, SharedBlockInput{Label: "org", Value: "v"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.AttachBlock(ctx, a.ID, AttachInput{BlockID: sb.ID}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("attach across tenants, unscoped: %v", err)
	}
	if a.Tenant != "acme" || sb.Tenant != "globex" {
		t.Fatalf("tenants %q %q", a.Tenant, sb.Tenant)
	}
}

func TestLastUndoable(t *testing.T) {
	ev := func(seq int64, action string, undoes int64) state.BlockEvent {
		return state.BlockEvent{Seq: seq, Action: action, Undoes: undoes}
	}
	h := []state.BlockEvent{ev(1, state.BlockCreated, 0), ev(2, state.BlockWritten, 0), ev(3, state.BlockWritten, 0),
		ev(4, state.BlockUndone, 3), ev(5, state.BlockCopied, 0)}
	if e, ok := lastUndoable(h); !ok || e.Seq != 5 {
		t.Fatalf("newest: %+v %v", e, ok)
	}
	if e, ok := lastUndoable(h[:4]); !ok || e.Seq != 2 {
		t.Fatalf("past an undo: %+v %v", e, ok)
	}
	if _, ok := lastUndoable(append(h[:4:4], ev(6, state.BlockUndone, 2))); ok {
		t.Fatal("everything is undone back to the creation")
	}
	if _, ok := lastUndoable(nil); ok {
		t.Fatal("empty history")
	}
}
