package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/memsvc/memsvc/state"
)

// listSummaries answers an agent's summaries, oldest first, each with source_message_ids.
func (s *Server) listSummaries(c echo.Context) error {
	id, _, err := agentParam(c)
	if err != nil {
		return err
	}
	sums, err := s.mem.ListSummaries(c.Request().Context(), id)
	if err != nil {
		return err
	}
	for i := range sums {
		if sums[i].SourceMessageIDs == nil {
			sums[i].SourceMessageIDs = []string{}
		}
	}
	return c.JSON(http.StatusOK, list[state.Summary]{Items: nonNil(sums)})
}
