package api

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/memsvc/memsvc/archival"
	"github.com/memsvc/memsvc/auth"
	"github.com/memsvc/memsvc/pager"
	"github.com/memsvc/memsvc/state"
)

// Keys verifies API keys and, for admin keys, manages them; *auth.Service implements it.
type Keys interface {
	// Authenticate returns the key a bearer token belongs to; ok is false for a malformed,
	// unknown or revoked token, and err a store failure only.
	Authenticate(ctx context.Context, token string) (k state.APIKey, ok bool, err error)
	// Configured reports whether any key is not revoked.
	Configured(ctx context.Context) (bool, error)
	// Create issues a key and returns its token, shown only now. Errors wrapping auth.ErrInvalid
	// carry a caller-safe message.
	Create(ctx context.Context, tenant string, admin bool, name string, opts ...auth.KeyOption) (k state.APIKey, token string, err error)
	// List lists keys by ID; Revoke revokes one (state.ErrNotFound for an unknown key).
	List(ctx context.Context, opts state.ListOptions) ([]state.APIKey, string, error)
	Revoke(ctx context.Context, id string) error
}

// errUnauthenticated is the kind of an error that answers 401.
var errUnauthenticated = errors.New("unauthenticated")

// principal is who a request acts as: a key, or a loopback client while no key is configured
// (then the default tenant).
type principal struct {
	key     state.APIKey
	keyless bool
}

const principalKey = "memsvc.principal"

// principalOf returns the request's principal; a request that skipped authentication (a
// public path) has none.
func principalOf(c echo.Context) (principal, bool) {
	p, ok := c.Get(principalKey).(principal)
	return p, ok
}

// publicPaths need no key (API.md).
var publicPaths = map[string]bool{"/healthz": true, "/readyz": true, "/openapi.json": true}

// authenticate resolves the request's principal and scopes its context to the principal's
// tenant (state.WithTenant), so every query the request makes sees that tenant's resources only.
//
//   - A bearer token must be a valid, unrevoked key: else 401.
//   - Without a token, while any key is configured: 401.
//   - Without a token and with no key configured: loopback clients act as the default tenant;
//     any other client gets 401 telling the operator how to create a key.
func (s *Server) authenticate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if publicPaths[r.URL.Path] {
			return next(c)
		}
		ctx := r.Context()
		token, err := bearerToken(r)
		if err != nil {
			return s.unauthenticated(c, err.Error())
		}
		var p principal
		switch {
		case token != "":
			if s.cfg.Keys == nil {
				return s.unauthenticated(c, "the API key is not valid: this server has no API keys")
			}
			k, ok, err := s.cfg.Keys.Authenticate(ctx, token)
			if err != nil {
				return err
			}
			if !ok {
				return s.unauthenticated(c, "the API key is not valid (unknown or revoked)")
			}
			p = principal{key: k}
		default:
			configured := false
			if s.cfg.Keys != nil {
				if configured, err = s.cfg.Keys.Configured(ctx); err != nil {
					return err
				}
			}
			if configured {
				return s.unauthenticated(c, "missing API key: send Authorization: Bearer <api key>")
			}
			if !isLoopback(r.RemoteAddr) {
				return s.unauthenticated(c, "memsvc has no API keys, so it serves loopback clients only: "+
					"create a key with `memsvc keys create --tenant NAME` and send it as Authorization: Bearer <api key>")
			}
			p = principal{key: state.APIKey{Tenant: state.DefaultTenant}, keyless: true}
		}
		c.Set(principalKey, p)
		ctx = state.WithTenant(ctx, p.key.Tenant)
		if p.key.MaxSource == "agent" {
			// Authority comes from the key, not the body (pager.WithMaxSource).
			ctx = pager.WithMaxSource(ctx, archival.SourceAgent)
		}
		c.SetRequest(r.WithContext(ctx))
		return next(c)
	}
}

func (s *Server) unauthenticated(c echo.Context, msg string) error {
	c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="memsvc"`)
	return fail(errUnauthenticated, "%s", msg)
}

// maxTokenBytes bounds the Authorization header's token before any lookup.
const maxTokenBytes = 256

// bearerToken returns the request's bearer token, "" when it sends none.
func bearerToken(r *http.Request) (string, error) {
	vals := r.Header.Values(echo.HeaderAuthorization)
	switch {
	case len(vals) == 0:
		return "", nil
	case len(vals) > 1:
		return "", errors.New("send one Authorization header")
	}
	scheme, token, ok := strings.Cut(strings.TrimSpace(vals[0]), " ")
	token = strings.TrimSpace(token)
	switch {
	case !ok || !strings.EqualFold(scheme, "Bearer"):
		return "", errors.New("the Authorization header must be Bearer <api key>")
	case token == "" || len(token) > maxTokenBytes:
		return "", errors.New("the API key is not valid (unknown or revoked)")
	}
	return token, nil
}

// isLoopback reports whether a request's remote address is a loopback address. It trusts the
// connection's address only, never a forwarding header.
func isLoopback(remoteAddr string) bool {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		host = remoteAddr
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}

// requireAdmin refuses a request whose key is not an admin key.
func requireAdmin(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		p, ok := principalOf(c)
		switch {
		case !ok || p.keyless:
			return fail(pager.ErrPermissionDenied, "this endpoint needs an admin key; create one with `memsvc keys create --admin`")
		case !p.key.Admin:
			return fail(pager.ErrPermissionDenied, "this endpoint needs an admin key; key %s is not one", p.key.ID)
		}
		return next(c)
	}
}

// tenantOf is the tenant a request acts for.
func tenantOf(c echo.Context) string {
	if t, ok := state.TenantFrom(c.Request().Context()); ok {
		return t
	}
	return state.DefaultTenant
}
