// Package auth issues and verifies memsvc's API keys. A key is a token of the form
//
//	msk_<id>_<secret>
//
// where id (16 base32 characters, 80 random bits) names the key and secret carries 256 random
// bits. Only the SHA-256 of the whole token is stored (state.KeyStore); the token is shown once,
// when the key is created. Verification looks the key up by its id and compares hashes in
// constant time, so neither a wrong secret nor a revoked key is distinguishable by timing from
// the answer a right one gets.
//
// A key maps to one tenant (state.WithTenant scopes what it may see). An admin key also manages
// keys and tenant policies; it is otherwise an ordinary key of its tenant.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/memsvc/memsvc/state"
)

// ErrInvalid is the kind of a malformed request to create a key; its message says what is wrong.
var ErrInvalid = errors.New("invalid argument")

// Token layout.
const (
	TokenPrefix  = "msk_"
	KeyIDPrefix  = "key_"
	idChars      = 16 // 80 bits
	secretChars  = 52 // 256 bits (rounded up to whole base32 characters)
	TokenLength  = len(TokenPrefix) + idChars + 1 + secretChars
	MaxNameChars = 100
)

// ConfiguredTTL is how long Service.Configured trusts its last answer. A key created or revoked
// by another process (memsvc keys, another replica) takes effect within it.
const ConfiguredTTL = time.Second

var enc = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// NewToken returns a new key's ID, its token, and the hash to store.
func NewToken() (id, token string, hash []byte, err error) {
	var b [10 + 32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", "", nil, fmt.Errorf("auth: random: %w", err)
	}
	idPart, secret := enc.EncodeToString(b[:10]), enc.EncodeToString(b[10:])
	token = TokenPrefix + idPart + "_" + secret
	return KeyIDPrefix + idPart, token, Hash(token), nil
}

// Hash is what a store keeps of a token.
func Hash(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// ParseToken returns the key ID a token names, and false when it is not shaped like a token.
func ParseToken(token string) (id string, ok bool) {
	if len(token) != TokenLength || !strings.HasPrefix(token, TokenPrefix) || token[len(TokenPrefix)+idChars] != '_' {
		return "", false
	}
	idPart, secret := token[len(TokenPrefix):len(TokenPrefix)+idChars], token[len(TokenPrefix)+idChars+1:]
	if !isBase32(idPart) || !isBase32(secret) {
		return "", false
	}
	return KeyIDPrefix + idPart, true
}

func isBase32(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '2' && c <= '7') {
			return false
		}
	}
	return true
}

// Verify reports whether token is k's and k is not revoked, comparing hashes in constant time.
func Verify(token string, k state.APIKey) bool {
	ok := subtle.ConstantTimeCompare(Hash(token), k.Hash) == 1
	return ok && k.RevokedAt == nil
}

// CheckTenant refuses a malformed tenant name.
func CheckTenant(tenant string) error {
	if !state.TenantRE.MatchString(tenant) {
		return fmt.Errorf("%w: tenant %q must match %s", ErrInvalid, tenant, state.TenantRE)
	}
	return nil
}

func checkName(name string) error {
	if !utf8.ValidString(name) || utf8.RuneCountInString(name) > MaxNameChars ||
		strings.IndexFunc(name, unicode.IsControl) >= 0 {
		return fmt.Errorf("%w: name must be at most %d printable characters", ErrInvalid, MaxNameChars)
	}
	return nil
}

// Service manages the keys of one KeyStore.
type Service struct {
	store state.KeyStore
	now   func() time.Time

	mu         sync.Mutex
	configured bool
	checked    time.Time
}

// New returns a Service over store; now is the clock (nil for time.Now).
func New(store state.KeyStore, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{store: store, now: now}
}

// KeyOption sets a property of a key Create issues.
type KeyOption func(*state.APIKey)

// MaxSource limits the passage sources a key may claim: "user" (the default) or "agent" (its
// writes are stored, and act, with an agent's authority at most).
func MaxSource(source string) KeyOption { return func(k *state.APIKey) { k.MaxSource = source } }

// Create issues a key for tenant and returns it with its token, which is not stored anywhere.
func (s *Service) Create(ctx context.Context, tenant string, admin bool, name string, opts ...KeyOption) (state.APIKey, string, error) {
	if err := CheckTenant(tenant); err != nil {
		return state.APIKey{}, "", err
	}
	if err := checkName(name); err != nil {
		return state.APIKey{}, "", err
	}
	id, token, hash, err := NewToken()
	if err != nil {
		return state.APIKey{}, "", err
	}
	k := state.APIKey{ID: id, Tenant: tenant, Admin: admin, Name: name, Hash: hash, CreatedAt: s.now().UTC().Truncate(time.Microsecond),
		MaxSource: "user"}
	for _, o := range opts {
		o(&k)
	}
	if k.MaxSource != "user" && k.MaxSource != "agent" {
		return state.APIKey{}, "", fmt.Errorf("%w: max_source must be user or agent, got %q", ErrInvalid, k.MaxSource)
	}
	if err := s.store.CreateKey(ctx, k); err != nil {
		return state.APIKey{}, "", err
	}
	s.forget()
	return k, token, nil
}

// Authenticate returns the key a token belongs to; ok is false for a malformed, unknown or
// revoked token. err is a store failure only.
func (s *Service) Authenticate(ctx context.Context, token string) (k state.APIKey, ok bool, err error) {
	id, ok := ParseToken(token)
	if !ok {
		return state.APIKey{}, false, nil
	}
	k, err = s.store.GetKey(ctx, id)
	if errors.Is(err, state.ErrNotFound) {
		Verify(token, state.APIKey{}) // the same work as for a known key
		return state.APIKey{}, false, nil
	}
	if err != nil {
		return state.APIKey{}, false, err
	}
	if !Verify(token, k) {
		return state.APIKey{}, false, nil
	}
	return k, true, nil
}

// Configured reports whether any key is not revoked: without one, memsvc serves loopback
// clients only. The answer is cached for ConfiguredTTL.
func (s *Service) Configured(ctx context.Context) (bool, error) {
	s.mu.Lock()
	if !s.checked.IsZero() && s.now().Sub(s.checked) < ConfiguredTTL {
		defer s.mu.Unlock()
		return s.configured, nil
	}
	s.mu.Unlock()
	has, err := s.store.HasKeys(ctx)
	if err != nil {
		return false, err
	}
	s.mu.Lock()
	s.configured, s.checked = has, s.now()
	s.mu.Unlock()
	return has, nil
}

func (s *Service) forget() {
	s.mu.Lock()
	s.checked = time.Time{}
	s.mu.Unlock()
}

// List lists keys by ID; opts.Tenant keeps one tenant's.
func (s *Service) List(ctx context.Context, opts state.ListOptions) ([]state.APIKey, string, error) {
	return s.store.ListKeys(ctx, opts)
}

// Revoke revokes a key at once (in this process; others within ConfiguredTTL for the
// keyless-mode switch, at once for verification). state.ErrNotFound for an unknown key.
func (s *Service) Revoke(ctx context.Context, id string) error {
	if err := s.store.RevokeKey(ctx, id, s.now().UTC().Truncate(time.Microsecond)); err != nil {
		return err
	}
	s.forget()
	return nil
}
