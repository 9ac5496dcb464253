package api

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/memsvc/memsvc/pager"
	"github.com/memsvc/memsvc/state"
)

// listBlocks answers every block of an agent (at most pager.MaxBlocks): one page, so next_cursor
// is always "".
func (s *Server) listBlocks(c echo.Context) error {
	id, _, err := agentParam(c)
	if err != nil {
		return err
	}
	blocks, err := s.mem.ListBlocks(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, list[state.Block]{Items: nonNil(blocks)})
}

func (s *Server) getBlock(c echo.Context) error {
	id, label, err := blockParams(c)
	if err != nil {
		return err
	}
	b, err := s.mem.GetBlock(c.Request().Context(), id, label)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, b)
}

// putBlock creates or replaces a block; fields left out keep the existing block's values.
func (s *Server) putBlock(c echo.Context) error {
	id, label, err := blockParams(c)
	if err != nil {
		return err
	}
	var in pager.BlockInput
	if err := decode(c, s.cfg.BodyLimit, &in); err != nil {
		return err
	}
	b, err := s.mem.PutBlock(c.Request().Context(), id, label, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, b)
}

func blockParams(c echo.Context) (agentID, label string, err error) {
	if agentID, _, err = agentParam(c); err != nil {
		return "", "", err
	}
	label, err = param(c, "label")
	return agentID, label, err
}
