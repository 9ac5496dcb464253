package api

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/memsvc/memsvc/pager"
)

// recallResults is the answer of a recall search, best first. VectorsPending counts the agent's
// messages not embedded yet, which the search matched by their words only.
type recallResults struct {
	Results        []pager.RecallHit `json:"results"`
	VectorsPending int               `json:"vectors_pending"`
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
	pending, err := s.mem.PendingVectors(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, recallResults{Results: nonNil(hits), VectorsPending: pending})
}
