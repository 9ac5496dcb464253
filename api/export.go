package api

import (
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
