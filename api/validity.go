package api

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/memsvc/memsvc/archival"
)

// invalidateRequest is the body of POST …/archival/{passage_id}/invalidate.
type invalidateRequest struct {
	Reason       string `json:"reason"`
	SupersededBy string `json:"superseded_by,omitempty"`
}

// invalidatePassage marks a passage no longer true (superseded when superseded_by is given).
func (s *Server) invalidatePassage(c echo.Context) error {
	id, pid, err := passageParams(c)
	if err != nil {
		return err
	}
	var in invalidateRequest
	if err := decode(c, s.cfg.BodyLimit, &in); err != nil {
		return err
	}
	p, err := s.mem.Invalidate(c.Request().Context(), id, pid, in.Reason, in.SupersededBy)
	if err != nil {
		return err
	}
	p.Tags = nonNil(p.Tags)
	return c.JSON(http.StatusOK, p)
}

// restorePassage undoes an invalidation or supersession.
func (s *Server) restorePassage(c echo.Context) error {
	id, pid, err := passageParams(c)
	if err != nil {
		return err
	}
	p, err := s.mem.Restore(c.Request().Context(), id, pid)
	if err != nil {
		return err
	}
	p.Tags = nonNil(p.Tags)
	return c.JSON(http.StatusOK, p)
}

// passageHistory answers a page of a passage's validity changes, oldest first. The cursor is the
// seq of the last event of the previous page.
func (s *Server) passageHistory(c echo.Context) error {
	q, err := query(c, "limit", "cursor")
	if err != nil {
		return err
	}
	limit, err := limitParam(q["limit"])
	if err != nil {
		return err
	}
	id, err := param(c, "agent_id") // not passageParams: it allows no query parameters
	if err != nil {
		return err
	}
	pid, err := param(c, "passage_id")
	if err != nil {
		return err
	}
	h, err := s.mem.PassageHistory(c.Request().Context(), id, pid)
	if err != nil {
		return err
	}
	page, next, err := pageAfter(h, limit, q["cursor"], func(e archival.Event) string { return strconv.FormatInt(e.Seq, 10) })
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, list[archival.Event]{Items: nonNil(page), NextCursor: next})
}
