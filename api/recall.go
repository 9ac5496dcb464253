package api

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/memsvc/memsvc/pager"
)

// recallResults is the answer of a recall search, best first.
type recallResults struct {
	Results []pager.RecallHit `json:"results"`
}

func (s *Server) searchRecall(c echo.Context) error {
	id, _, err := agentParam(c)
	if err != nil {
		return err
	}
	var q pager.RecallQuery
	if err := decode(c, s.cfg.BodyLimit, &q); err != nil {
		return err
	}
	hits, err := s.mem.SearchRecall(c.Request().Context(), id, q)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, recallResults{Results: nonNil(hits)})
}
