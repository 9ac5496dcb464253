package api

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"
	"github.com/memsvc/memsvc/pager"
	"github.com/memsvc/memsvc/state"
)

// appendRequest is the body of POST /v1/agents/{agent_id}/messages.
type appendRequest struct {
	Messages []pager.MessageInput `json:"messages"`
}

func (s *Server) appendMessages(c echo.Context) error {
	id, _, err := agentParam(c)
	if err != nil {
		return err
	}
	var req appendRequest
	if err := decode(c, s.cfg.BodyLimit, &req); err != nil {
		return err
	}
	res, err := s.mem.Append(c.Request().Context(), id, req.Messages)
	if err != nil {
		return err
	}
	res.Messages, res.Events = nonNil(res.Messages), nonNil(res.Events)
	return c.JSON(http.StatusOK, res)
}

// listMessages answers the full history, oldest first. The cursor is the seq after which the page
// starts, as a decimal string.
func (s *Server) listMessages(c echo.Context) error {
	id, q, err := agentParam(c, "limit", "cursor")
	if err != nil {
		return err
	}
	limit, err := limitParam(q["limit"])
	if err != nil {
		return err
	}
	var after int64
	if v := q["cursor"]; v != "" {
		if after, err = strconv.ParseInt(v, 10, 64); err != nil || after < 0 {
			return fail(pager.ErrInvalidArgument, "cursor %q is not valid; pass the next_cursor of the previous page", v)
		}
	}
	msgs, next, err := s.mem.History(c.Request().Context(), id, after, limit)
	if err != nil {
		return err
	}
	out := list[state.Message]{Items: nonNil(msgs)}
	if next > 0 {
		out.NextCursor = strconv.FormatInt(next, 10)
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) getContext(c echo.Context) error {
	id, q, err := agentParam(c, "format")
	if err != nil {
		return err
	}
	v, err := s.mem.Context(c.Request().Context(), id, q["format"])
	if err != nil {
		return err
	}
	v.Messages = nonNil(v.Messages)
	return c.JSON(http.StatusOK, v)
}
