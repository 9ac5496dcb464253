package api

import (
	"cmp"
	"errors"
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	"github.com/memsvc/memsvc/auth"
	"github.com/memsvc/memsvc/pager"
	"github.com/memsvc/memsvc/state"
)

// Admin endpoints (an admin key only): API keys of every tenant, and each tenant's default
// permissions.

// keyRequest is the body of POST /v1/admin/keys.
type keyRequest struct {
	Tenant    string `json:"tenant"`
	Admin     bool   `json:"admin"`
	Name      string `json:"name"`
	MaxSource string `json:"max_source"`
}

// createdKey is the answer of POST /v1/admin/keys: the key, and its token, shown only now.
type createdKey struct {
	Key   state.APIKey `json:"key"`
	Token string       `json:"token"`
}

func (s *Server) keyService() (Keys, error) {
	if s.cfg.Keys == nil {
		return nil, fail(pager.ErrUnprocessable, "this server manages no API keys")
	}
	return s.cfg.Keys, nil
}

func (s *Server) createKey(c echo.Context) error {
	if _, err := query(c); err != nil {
		return err
	}
	ks, err := s.keyService()
	if err != nil {
		return err
	}
	var in keyRequest
	if err := decode(c, s.cfg.BodyLimit, &in); err != nil {
		return err
	}
	k, token, err := ks.Create(c.Request().Context(), in.Tenant, in.Admin, in.Name, auth.MaxSource(cmp.Or(in.MaxSource, "user")))
	if errors.Is(err, auth.ErrInvalid) {
		return fail(pager.ErrInvalidArgument, "%s", err.Error())
	}
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	c.Response().Header().Set(echo.HeaderLocation, "/v1/admin/keys/"+url.PathEscape(k.ID))
	return c.JSON(http.StatusCreated, createdKey{Key: k, Token: token})
}

func (s *Server) listKeys(c echo.Context) error {
	q, err := query(c, "limit", "cursor", "tenant")
	if err != nil {
		return err
	}
	limit, err := limitParam(q["limit"])
	if err != nil {
		return err
	}
	if limit > 1000 {
		return fail(pager.ErrInvalidArgument, "limit must be in [1, 1000], got %d", limit)
	}
	ks, err := s.keyService()
	if err != nil {
		return err
	}
	keys, next, err := ks.List(c.Request().Context(), state.ListOptions{Limit: limit, Cursor: q["cursor"], Tenant: q["tenant"]})
	if errors.Is(err, state.ErrInvalid) {
		return fail(pager.ErrInvalidArgument, "cursor is not valid; pass the next_cursor of the previous page")
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, list[state.APIKey]{Items: nonNil(keys), NextCursor: next})
}

func (s *Server) revokeKey(c echo.Context) error {
	if _, err := query(c); err != nil {
		return err
	}
	id, err := param(c, "key_id")
	if err != nil {
		return err
	}
	ks, err := s.keyService()
	if err != nil {
		return err
	}
	err = ks.Revoke(c.Request().Context(), id)
	if errors.Is(err, state.ErrNotFound) {
		return fail(pager.ErrNotFound, "key %s does not exist", id)
	}
	if err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (s *Server) getTenantPermissions(c echo.Context) error {
	if _, err := query(c); err != nil {
		return err
	}
	tenant, err := param(c, "tenant")
	if err != nil {
		return err
	}
	p, err := s.mem.TenantPermissions(c.Request().Context(), tenant)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, p)
}

func (s *Server) putTenantPermissions(c echo.Context) error {
	if _, err := query(c); err != nil {
		return err
	}
	tenant, err := param(c, "tenant")
	if err != nil {
		return err
	}
	var in state.Permissions
	if err := decode(c, s.cfg.BodyLimit, &in); err != nil {
		return err
	}
	p, err := s.mem.SetTenantPermissions(c.Request().Context(), tenant, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, p)
}
