package auth_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/memsvc/memsvc/auth"
	"github.com/memsvc/memsvc/sqlitedb"
	"github.com/memsvc/memsvc/state"
	"github.com/memsvc/memsvc/state/sqlitestate"
)

func newService(t *testing.T, now func() time.Time) (*auth.Service, *sqlitestate.Store) {
	t.Helper()
	db, err := sqlitedb.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	st := sqlitestate.New(db)
	t.Cleanup(func() { st.Close() })
	return auth.New(st, now), st
}

func TestTokens(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		id, token, hash, err := auth.NewToken()
		if err != nil {
			t.Fatal(err)
		}
		if len(token) != auth.TokenLength || !strings.HasPrefix(token, "msk_") || !strings.HasPrefix(id, "key_") || len(hash) != 32 {
			t.Fatalf("token %q id %q hash %d bytes", token, id, len(hash))
		}
		if got, ok := auth.ParseToken(token); !ok || got != id {
			t.Fatalf("ParseToken(%q) = %q, %v; want %q", token, got, ok, id)
		}
		if seen[token] || seen[id] {
			t.Fatal("a token or ID repeated")
		}
		seen[token], seen[id] = true, true
		if strings.Contains(string(hash), token) {
			t.Fatal("the hash holds the token")
		}
	}
	_, token, _, _ := auth.NewToken()
	for _, bad := range []string{"", token[:len(token)-1], token + "a", "Bearer " + token, strings.ToUpper(token),
		strings.Replace(token, "_", "-", -1), "msk_" + strings.Repeat("a", 16) + "_" + strings.Repeat("1", 52)} {
		if _, ok := auth.ParseToken(bad); ok {
			t.Errorf("ParseToken(%q) accepted it", bad)
		}
	}
}

func TestService(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	svc, st := newService(t, func() time.Time { return now })
	if ok, err := svc.Configured(ctx); ok || err != nil {
		t.Fatalf("Configured with no keys = %v, %v", ok, err)
	}
	k, token, err := svc.Create(ctx, "acme", false, "ci")
	if err != nil {
		t.Fatal(err)
	}
	if ok, _ := svc.Configured(ctx); !ok {
		t.Fatal("Configured after Create = false")
	}
	stored, err := st.GetKey(ctx, k.ID)
	if err != nil || string(stored.Hash) != string(auth.Hash(token)) || strings.Contains(string(stored.Hash), token) {
		t.Fatalf("stored key %+v, %v", stored, err)
	}
	got, ok, err := svc.Authenticate(ctx, token)
	if err != nil || !ok || got.ID != k.ID || got.Tenant != "acme" || got.Admin {
		t.Fatalf("Authenticate = %+v, %v, %v", got, ok, err)
	}
	// A token with the right ID and a wrong secret, an unknown ID, or garbage: not ok, no error.
	_, other, _, _ := auth.NewToken()
	wrongSecret := token[:len(auth.TokenPrefix)+17] + other[len(auth.TokenPrefix)+17:]
	for _, bad := range []string{wrongSecret, other, "garbage", ""} {
		if _, ok, err := svc.Authenticate(ctx, bad); ok || err != nil {
			t.Errorf("Authenticate(%q) = %v, %v", bad, ok, err)
		}
	}
	for _, tenant := range []string{"", "Acme", "a b", strings.Repeat("a", 65), "-x"} {
		if _, _, err := svc.Create(ctx, tenant, false, ""); !errors.Is(err, auth.ErrInvalid) {
			t.Errorf("Create(tenant %q): %v, want ErrInvalid", tenant, err)
		}
	}
	if _, _, err := svc.Create(ctx, "acme", false, "bad\nname"); !errors.Is(err, auth.ErrInvalid) {
		t.Errorf("a name with a newline: %v", err)
	}
	if err := svc.Revoke(ctx, k.ID); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := svc.Authenticate(ctx, token); ok {
		t.Fatal("a revoked key authenticated")
	}
	if ok, _ := svc.Configured(ctx); ok {
		t.Fatal("Configured after revoking the only key = true")
	}
	if err := svc.Revoke(ctx, "key_nope"); !errors.Is(err, state.ErrNotFound) {
		t.Fatalf("Revoke unknown: %v", err)
	}
}

// Configured trusts its answer for ConfiguredTTL: a key made by another process (memsvc keys)
// takes effect within it.
func TestConfiguredCache(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	svc, st := newService(t, func() time.Time { return now })
	if ok, _ := svc.Configured(ctx); ok {
		t.Fatal("configured")
	}
	other := auth.New(st, nil) // another process
	if _, _, err := other.Create(ctx, "acme", true, ""); err != nil {
		t.Fatal(err)
	}
	if ok, _ := svc.Configured(ctx); ok {
		t.Fatal("the cached answer was not used")
	}
	now = now.Add(auth.ConfiguredTTL)
	if ok, _ := svc.Configured(ctx); !ok {
		t.Fatal("a key made elsewhere did not take effect after ConfiguredTTL")
	}
}

// FuzzParseToken: parsing never panics, and accepts only the exact shape.
func FuzzParseToken(f *testing.F) {
	_, token, _, _ := auth.NewToken()
	for _, s := range []string{token, "", "msk_", "msk_" + strings.Repeat("a", 69), token[:40], "\xff" + token[1:]} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, ok := auth.ParseToken(s)
		if !ok {
			return
		}
		if len(s) != auth.TokenLength || !strings.HasPrefix(id, auth.KeyIDPrefix) || len(id) != len(auth.KeyIDPrefix)+16 {
			t.Fatalf("ParseToken(%q) = %q", s, id)
		}
		if !auth.Verify(s, state.APIKey{Hash: auth.Hash(s)}) || auth.Verify(s, state.APIKey{Hash: auth.Hash(s + "x")}) {
			t.Fatal("Verify disagrees with Hash")
		}
	})
}
