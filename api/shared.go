package api

import (
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	"github.com/memsvc/memsvc/pager"
	"github.com/memsvc/memsvc/state"
)

// Shared memory layers, block history and undo, and an agent's permissions.

func (s *Server) createSharedBlock(c echo.Context) error {
	if _, err := query(c); err != nil {
		return err
	}
	var in pager.SharedBlockInput
	if err := decode(c, s.cfg.BodyLimit, &in); err != nil {
		return err
	}
	b, err := s.mem.CreateSharedBlock(c.Request().Context(), in)
	if err != nil {
		return err
	}
	b.Attachments = nonNil(b.Attachments)
	c.Response().Header().Set(echo.HeaderLocation, "/v1/blocks/"+url.PathEscape(b.ID))
	return c.JSON(http.StatusCreated, b)
}

func (s *Server) getSharedBlock(c echo.Context) error {
	if _, err := query(c); err != nil {
		return err
	}
	id, err := param(c, "block_id")
	if err != nil {
		return err
	}
	b, err := s.mem.GetSharedBlock(c.Request().Context(), id)
	if err != nil {
		return err
	}
	b.Attachments = nonNil(b.Attachments)
	return c.JSON(http.StatusOK, b)
}

func (s *Server) attachBlock(c echo.Context) error {
	id, _, err := agentParam(c)
	if err != nil {
		return err
	}
	var in pager.AttachInput
	if err := decode(c, s.cfg.BodyLimit, &in); err != nil {
		return err
	}
	b, err := s.mem.AttachBlock(c.Request().Context(), id, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, b)
}

func (s *Server) detachBlock(c echo.Context) error {
	id, _, err := agentParam(c)
	if err != nil {
		return err
	}
	blockID, err := param(c, "block_id")
	if err != nil {
		return err
	}
	if err := s.mem.DetachBlock(c.Request().Context(), id, blockID); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// blockHistory answers the newest writes of a block (an attachment's are the shared block's),
// oldest first: one page, so next_cursor is always "".
func (s *Server) blockHistory(c echo.Context) error {
	id, label, err := blockParams(c)
	if err != nil {
		return err
	}
	h, err := s.mem.BlockHistory(c.Request().Context(), id, label)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, list[state.BlockEvent]{Items: nonNil(h)})
}

func (s *Server) undoBlock(c echo.Context) error {
	id, label, err := blockParams(c)
	if err != nil {
		return err
	}
	b, err := s.mem.UndoBlock(c.Request().Context(), id, label)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, b)
}

func (s *Server) agentPermissions(c echo.Context) error {
	id, _, err := agentParam(c)
	if err != nil {
		return err
	}
	v, err := s.mem.AgentPermissions(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, v)
}
