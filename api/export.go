package api

import (
	"errors"
	"io"
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	"github.com/memsvc/memsvc/pager"
)

// MaxImportBytes is the largest import body: exports are larger than any other request.
const MaxImportBytes = 256 << 20

// exportAgent answers the agent's export document (pager.Export, versioned).
func (s *Server) exportAgent(c echo.Context) error {
	id, _, err := agentParam(c)
	if err != nil {
		return err
	}
	doc, err := s.mem.ExportAgent(c.Request().Context(), id)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderContentDisposition, `attachment; filename="`+url.PathEscape(id)+`.memsvc.json"`)
	return c.JSON(http.StatusOK, doc)
}

// importAgent stores an export document as an agent of the caller's tenant, with its IDs.
func (s *Server) importAgent(c echo.Context) error {
	if _, err := query(c); err != nil {
		return err
	}
	var doc pager.Export
	if err := decode(c, max(s.cfg.BodyLimit, MaxImportBytes), &doc); err != nil {
		return err
	}
	v, err := s.mem.ImportAgent(c.Request().Context(), doc)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/v1/agents/"+url.PathEscape(v.ID))
	return c.JSON(http.StatusCreated, v)
}

// importLetta imports a Letta Agent File (.af) as a new agent of the caller's tenant. The body
// is Letta's JSON as Letta writes it (not strict: memsvc maps what it has an equivalent for).
func (s *Server) importLetta(c echo.Context) error {
	if _, err := query(c); err != nil {
		return err
	}
	r := c.Request()
	if r.ContentLength > MaxImportBytes {
		return fail(pager.ErrTooLarge, "request body is larger than %d bytes", MaxImportBytes)
	}
	data, err := io.ReadAll(http.MaxBytesReader(c.Response(), r.Body, MaxImportBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return fail(pager.ErrTooLarge, "request body is larger than %d bytes", MaxImportBytes)
		}
		return err
	}
	v, err := s.mem.ImportLetta(r.Context(), data)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/v1/agents/"+url.PathEscape(v.ID))
	return c.JSON(http.StatusCreated, v)
}
