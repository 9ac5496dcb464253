package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/memsvc/memsvc/state"
)

// listSummaries answers a page of an agent's summaries, oldest first, each with
// source_message_ids. The cursor is the ID of the last summary of the previous page.
func (s *Server) listSummaries(c echo.Context) error {
	id, q, err := agentParam(c, "limit", "cursor")
	if err != nil {
		return err
	}
	limit, err := limitParam(q["limit"])
	if err != nil {
		return err
	}
	sums, err := s.mem.ListSummaries(c.Request().Context(), id)
	if err != nil {
		return err
	}
	page, next, err := pageAfter(sums, limit, q["cursor"], func(s state.Summary) string { return s.ID })
	if err != nil {
		return err
	}
	for i := range page {
		if page[i].SourceMessageIDs == nil {
			page[i].SourceMessageIDs = []string{}
		}
	}
	return c.JSON(http.StatusOK, list[state.Summary]{Items: nonNil(page), NextCursor: next})
}
