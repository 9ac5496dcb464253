package statetest

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/memsvc/memsvc/state"
)

func agentIn(t *testing.T, s state.Store, tenant string) state.Agent {
	t.Helper()
	now := time.Now().UTC().Truncate(time.Microsecond)
	a := state.Agent{ID: state.NewID("ag"), Name: "a", System: "sys", ContextWindow: 1000, Model: "gpt-4o",
		Pager: state.PagerConfig{WarnRatio: 0.7, FlushRatio: 1, TargetRatio: 0.5, KeepLast: 4}, CreatedAt: now, UpdatedAt: now,
		Permissions: &state.Permissions{Deny: []string{"memory_invalidate"}}}
	if err := s.CreateAgent(state.WithTenant(state.AllTenants(context.Background()), tenant), a, []state.Block{{Label: "human", Value: "v", Limit: 100}}); err != nil {
		t.Fatal(err)
	}
	a.Tenant = tenant
	return a
}

// A context scoped to a tenant finds, pages, lists and deletes only that tenant's agents; an
// internal context (state.AllTenants: the background workers) sees every agent; a context with
// neither sees nothing (scope fails closed).
func testTenantScoping(t *testing.T, s state.Store) {
	bg := state.AllTenants(context.Background())
	acme, globex := state.WithTenant(bg, "acme"), state.WithTenant(bg, "globex")
	a, b := agentIn(t, s, "acme"), agentIn(t, s, "globex")
	got, err := s.GetAgent(acme, a.ID)
	if err != nil || got.Tenant != "acme" || got.Permissions == nil || !slices.Equal(got.Permissions.Deny, []string{"memory_invalidate"}) {
		t.Fatalf("own agent: %+v, %v", got, err)
	}
	if _, err := s.GetAgent(acme, b.ID); !errors.Is(err, state.ErrNotFound) {
		t.Fatalf("another tenant's agent: %v, want ErrNotFound", err)
	}
	if _, err := s.GetAgent(bg, b.ID); err != nil {
		t.Fatalf("internal: %v", err)
	}
	none := context.Background()
	if _, err := s.GetAgent(none, b.ID); !errors.Is(err, state.ErrNotFound) {
		t.Fatalf("unscoped GetAgent: %v, want ErrNotFound", err)
	}
	if list, _, err := s.ListAgents(none, state.ListOptions{Limit: 10}); err != nil || len(list) != 0 {
		t.Fatalf("unscoped lists %d agents (%v), want none", len(list), err)
	}
	err = s.Page(none, b.ID, func(context.Context, state.Page) (state.Change, error) {
		t.Error("fn ran for an unscoped context")
		return state.Change{}, nil
	})
	if !errors.Is(err, state.ErrNotFound) {
		t.Fatalf("unscoped Page: %v, want ErrNotFound", err)
	}
	if err := s.DeleteAgent(none, b.ID); !errors.Is(err, state.ErrNotFound) {
		t.Fatalf("unscoped DeleteAgent: %v, want ErrNotFound", err)
	}
	// A later WithTenant narrows an internal context again.
	if _, err := s.GetAgent(state.WithTenant(bg, "acme"), b.ID); !errors.Is(err, state.ErrNotFound) {
		t.Fatalf("internal context narrowed to acme: %v, want ErrNotFound", err)
	}
	err = s.Page(acme, b.ID, func(context.Context, state.Page) (state.Change, error) {
		t.Error("fn ran for another tenant's agent")
		return state.Change{}, nil
	})
	if !errors.Is(err, state.ErrNotFound) {
		t.Fatalf("Page on another tenant's agent: %v, want ErrNotFound", err)
	}
	list, _, err := s.ListAgents(acme, state.ListOptions{Limit: 10})
	if err != nil || len(list) != 1 || list[0].ID != a.ID {
		t.Fatalf("acme lists %+v, %v", list, err)
	}
	all, _, err := s.ListAgents(bg, state.ListOptions{Limit: 10})
	if err != nil || len(all) != 2 {
		t.Fatalf("internal context lists %d agents, %v", len(all), err)
	}
	if err := s.DeleteAgent(acme, b.ID); !errors.Is(err, state.ErrNotFound) {
		t.Fatalf("delete another tenant's agent: %v, want ErrNotFound", err)
	}
	if _, err := s.GetAgent(globex, b.ID); err != nil {
		t.Fatalf("the refused delete removed the agent: %v", err)
	}
	// A scoped context creates in its own tenant, whatever the agent says.
	c := a
	c.ID, c.Tenant = state.NewID("ag"), "globex"
	if err := s.CreateAgent(acme, c, nil); err != nil {
		t.Fatal(err)
	}
	if got, err := s.GetAgent(bg, c.ID); err != nil || got.Tenant != "acme" {
		t.Fatalf("created in %q (%v), want acme", got.Tenant, err)
	}
	// Permissions change with the agent's other fields, and can be cleared.
	err = s.Page(acme, a.ID, func(_ context.Context, p state.Page) (state.Change, error) {
		n := p.Agent()
		n.Permissions = nil
		return state.Change{Agent: &n}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := s.GetAgent(acme, a.ID); got.Permissions != nil {
		t.Fatalf("permissions after clearing: %+v", got.Permissions)
	}
}

func testKeys(t *testing.T, s state.Store) {
	ks, ok := s.(state.KeyStore)
	if !ok {
		t.Skip("the store keeps no API keys")
	}
	ctx := state.AllTenants(context.Background())
	if has, err := ks.HasKeys(ctx); err != nil || has {
		t.Fatalf("empty store HasKeys = %v, %v", has, err)
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	keys := []state.APIKey{
		{ID: "key_a", Tenant: "acme", Hash: []byte{1, 2, 3}, CreatedAt: now, Name: "ci"},
		{ID: "key_b", Tenant: "globex", Admin: true, Hash: []byte{4}, CreatedAt: now},
		{ID: "key_c", Tenant: "acme", Hash: []byte{5}, CreatedAt: now},
	}
	for _, k := range keys {
		if err := ks.CreateKey(ctx, k); err != nil {
			t.Fatal(err)
		}
	}
	if err := ks.CreateKey(ctx, keys[0]); !errors.Is(err, state.ErrConflict) {
		t.Fatalf("duplicate key: %v, want ErrConflict", err)
	}
	got, err := ks.GetKey(ctx, "key_a")
	if err != nil || got.Tenant != "acme" || string(got.Hash) != "\x01\x02\x03" || got.Name != "ci" || !got.CreatedAt.Equal(now) || got.RevokedAt != nil {
		t.Fatalf("GetKey = %+v, %v", got, err)
	}
	if _, err := ks.GetKey(ctx, "key_zz"); !errors.Is(err, state.ErrNotFound) {
		t.Fatalf("missing key: %v", err)
	}
	page, next, err := ks.ListKeys(ctx, state.ListOptions{Limit: 2})
	if err != nil || len(page) != 2 || next != "key_b" {
		t.Fatalf("first page %+v next %q, %v", page, next, err)
	}
	page, next, err = ks.ListKeys(ctx, state.ListOptions{Limit: 2, Cursor: next})
	if err != nil || len(page) != 1 || page[0].ID != "key_c" || next != "" {
		t.Fatalf("second page %+v next %q, %v", page, next, err)
	}
	acme, _, err := ks.ListKeys(ctx, state.ListOptions{Limit: 10, Tenant: "acme"})
	if err != nil || len(acme) != 2 {
		t.Fatalf("acme's keys %+v, %v", acme, err)
	}
	if _, _, err := ks.ListKeys(ctx, state.ListOptions{Cursor: "garbage"}); !errors.Is(err, state.ErrInvalid) {
		t.Fatalf("bad cursor: %v", err)
	}
	for _, k := range keys {
		if err := ks.RevokeKey(ctx, k.ID, now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	if err := ks.RevokeKey(ctx, "key_a", now.Add(2*time.Hour)); err != nil {
		t.Fatalf("revoking twice: %v", err)
	}
	if got, _ := ks.GetKey(ctx, "key_a"); got.RevokedAt == nil || !got.RevokedAt.Equal(now.Add(time.Hour)) {
		t.Fatalf("revoked_at = %v, want the first revocation", got.RevokedAt)
	}
	if err := ks.RevokeKey(ctx, "key_zz", now); !errors.Is(err, state.ErrNotFound) {
		t.Fatalf("revoke missing: %v", err)
	}
	if has, err := ks.HasKeys(ctx); err != nil || has {
		t.Fatalf("HasKeys after revoking all = %v, %v", has, err)
	}
}

func testTenantPermissions(t *testing.T, s state.Store) {
	ps, ok := s.(state.PolicyStore)
	if !ok {
		t.Skip("the store keeps no tenant policies")
	}
	ctx := state.AllTenants(context.Background())
	if p, err := ps.TenantPermissions(ctx, "acme"); err != nil || p.Allow != nil || p.Deny != nil {
		t.Fatalf("no policy: %+v, %v", p, err)
	}
	want := state.Permissions{Deny: []string{"archival_memory_insert"}, Allow: []string{"archival_memory_search"}}
	for range 2 {
		if err := ps.SetTenantPermissions(ctx, "acme", want, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	p, err := ps.TenantPermissions(ctx, "acme")
	if err != nil || !slices.Equal(p.Deny, want.Deny) || !slices.Equal(p.Allow, want.Allow) {
		t.Fatalf("policy %+v, %v", p, err)
	}
	if p, _ := ps.TenantPermissions(ctx, "globex"); p.Deny != nil {
		t.Fatalf("another tenant's policy leaked: %+v", p)
	}
}

func sharedStore(t *testing.T, s state.Store) state.SharedBlockStore {
	t.Helper()
	sb, ok := s.(state.SharedBlockStore)
	if !ok {
		t.Skip("the store keeps no shared blocks")
	}
	return sb
}

func newShared(t *testing.T, sb state.SharedBlockStore, tenant, value string) state.SharedBlock {
	t.Helper()
	now := time.Now().UTC().Truncate(time.Microsecond)
	b := state.SharedBlock{ID: state.NewID("blk"), Label: "org", Value: value, Limit: 100, Description: "shared", CreatedAt: now, UpdatedAt: now}
	ctx := state.WithTenant(state.AllTenants(context.Background()), tenant)
	if err := sb.CreateSharedBlock(ctx, b, state.BlockEvent{SharedID: b.ID, Label: b.Label, Action: state.BlockCreated, After: value, At: now}); err != nil {
		t.Fatal(err)
	}
	b.Tenant, b.Version = tenant, 1
	return b
}

func page(t *testing.T, s state.Store, agentID string, fn func(p state.Page) state.Change) error {
	t.Helper()
	return s.Page(state.AllTenants(context.Background()), agentID, func(_ context.Context, p state.Page) (state.Change, error) {
		return fn(p), nil
	})
}

func blockOf(t *testing.T, s state.Store, agentID, label string) state.Block {
	t.Helper()
	b, err := s.GetBlock(state.AllTenants(context.Background()), agentID, label)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Attachments read the shared value; a shared write reaches every attachment; a private copy (a
// copy-on-write write) leaves the shared block and the others alone; history and detaching work.
func testSharedBlocks(t *testing.T, s state.Store) {
	sb := sharedStore(t, s)
	ctx := state.AllTenants(context.Background())
	a, b, c := agentIn(t, s, "acme"), agentIn(t, s, "acme"), agentIn(t, s, "acme")
	sh := newShared(t, sb, "acme", "Company policy v1")
	if _, err := sb.GetSharedBlock(state.WithTenant(ctx, "globex"), sh.ID); !errors.Is(err, state.ErrNotFound) {
		t.Fatalf("another tenant's shared block: %v, want ErrNotFound", err)
	}
	for _, at := range []struct {
		id       string
		ro, cow  bool
		wantView bool
	}{{a.ID, false, false, true}, {b.ID, true, false, true}, {c.ID, false, true, true}} {
		if err := page(t, s, at.id, func(state.Page) state.Change {
			return state.Change{PutBlocks: []state.Block{{Label: sh.Label, SharedID: sh.ID, ReadOnly: at.ro, CopyOnWrite: at.cow}}}
		}); err != nil {
			t.Fatal(err)
		}
	}
	got := blockOf(t, s, b.ID, "org")
	if got.Value != "Company policy v1" || got.Limit != 100 || got.Description != "shared" || !got.ReadOnly || got.SharedID != sh.ID || got.Version != 1 {
		t.Fatalf("attachment reads %+v", got)
	}
	full, err := sb.GetSharedBlock(state.WithTenant(ctx, "acme"), sh.ID)
	if err != nil || len(full.Attachments) != 3 || full.Version != 1 || full.Tenant != "acme" {
		t.Fatalf("shared block %+v, %v", full, err)
	}
	// Write through a's writable attachment.
	now := time.Now().UTC().Truncate(time.Microsecond)
	err = page(t, s, a.ID, func(p state.Page) state.Change {
		bs, _ := p.Blocks(ctx)
		var org state.Block
		for _, x := range bs {
			if x.Label == "org" {
				org = x
			}
		}
		return state.Change{SharedWrites: []state.SharedBlock{{ID: sh.ID, Value: "Company policy v2", Limit: org.Limit,
			Description: org.Description, Version: org.Version, UpdatedAt: now}},
			BlockEvents: []state.BlockEvent{{SharedID: sh.ID, AgentID: a.ID, Label: "org", Action: state.BlockWritten,
				Before: org.Value, After: "Company policy v2", At: now}}}
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{a.ID, b.ID, c.ID} {
		if got := blockOf(t, s, id, "org"); got.Value != "Company policy v2" || got.Version != 2 {
			t.Fatalf("after the shared write, %s reads %+v", id, got)
		}
	}
	// c's copy-on-write write makes a private copy.
	err = page(t, s, c.ID, func(state.Page) state.Change {
		return state.Change{PutBlocks: []state.Block{{Label: "org", Value: "c's own policy", Limit: 100, Description: "shared"}},
			BlockEvents: []state.BlockEvent{{SharedID: sh.ID, AgentID: c.ID, Label: "org", Action: state.BlockCopied,
				Before: "Company policy v2", After: "c's own policy", At: now}}}
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := blockOf(t, s, c.ID, "org"); got.Value != "c's own policy" || got.SharedID != "" || got.CopyOnWrite {
		t.Fatalf("c's private copy %+v", got)
	}
	if got := blockOf(t, s, a.ID, "org"); got.Value != "Company policy v2" {
		t.Fatalf("the private copy changed a's view: %+v", got)
	}
	// Histories: the shared block's, and c's own block's.
	h, err := sb.BlockHistory(ctx, sh.ID, "org", 10)
	if err != nil || len(h) != 2 || h[0].Action != state.BlockCreated || h[1].Action != state.BlockWritten || h[1].AgentID != a.ID || h[0].Seq >= h[1].Seq {
		t.Fatalf("shared history %+v, %v", h, err)
	}
	if last, _ := sb.BlockHistory(ctx, sh.ID, "org", 1); len(last) != 1 || last[0].Seq != h[1].Seq {
		t.Fatalf("limit keeps the newest: %+v", last)
	}
	h, err = sb.BlockHistory(ctx, c.ID, "org", 10)
	if err != nil || len(h) != 1 || h[0].Action != state.BlockCopied || h[0].SharedID != sh.ID {
		t.Fatalf("c's history %+v, %v", h, err)
	}
	// Detach b; deleting c removes its own history.
	if err := page(t, s, b.ID, func(state.Page) state.Change { return state.Change{DeleteBlocks: []string{"org"}} }); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetBlock(ctx, b.ID, "org"); !errors.Is(err, state.ErrNotFound) {
		t.Fatalf("detached block: %v", err)
	}
	if err := s.DeleteAgent(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	if h, _ := sb.BlockHistory(ctx, c.ID, "org", 10); len(h) != 0 {
		t.Fatalf("history of a deleted agent's block: %+v", h)
	}
	full, _ = sb.GetSharedBlock(ctx, sh.ID)
	if len(full.Attachments) != 1 || full.Attachments[0].AgentID != a.ID {
		t.Fatalf("attachments %+v", full.Attachments)
	}
}

// A shared write with a stale version is ErrConflict and writes nothing of its step.
func testSharedConflict(t *testing.T, s state.Store) {
	sb := sharedStore(t, s)
	ctx := state.AllTenants(context.Background())
	a := agentIn(t, s, "acme")
	sh := newShared(t, sb, "acme", "v1")
	now := time.Now().UTC()
	write := func(version int64, value string) error {
		return s.Page(ctx, a.ID, func(context.Context, state.Page) (state.Change, error) {
			return state.Change{SharedWrites: []state.SharedBlock{{ID: sh.ID, Value: value, Limit: 100, Version: version, UpdatedAt: now}},
				BlockEvents: []state.BlockEvent{{SharedID: sh.ID, Label: "org", Action: state.BlockWritten, After: value, At: now}}}, nil
		})
	}
	if err := write(1, "v2"); err != nil {
		t.Fatal(err)
	}
	if err := write(1, "lost"); !errors.Is(err, state.ErrConflict) {
		t.Fatalf("stale write: %v, want ErrConflict", err)
	}
	got, _ := sb.GetSharedBlock(ctx, sh.ID)
	if got.Value != "v2" || got.Version != 2 {
		t.Fatalf("after a refused write: %+v", got)
	}
	if h, _ := sb.BlockHistory(ctx, sh.ID, "org", 10); len(h) != 2 {
		t.Fatalf("a refused write left history: %+v", h)
	}
}
