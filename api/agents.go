package api

import (
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"
	"github.com/memsvc/memsvc/pager"
	"github.com/memsvc/memsvc/state"
)

func (s *Server) createAgent(c echo.Context) error {
	if _, err := query(c); err != nil {
		return err
	}
	var spec pager.AgentSpec
	if err := decode(c, s.cfg.BodyLimit, &spec); err != nil {
		return err
	}
	v, err := s.mem.CreateAgent(c.Request().Context(), spec)
	if err != nil {
		return err
	}
	v.Blocks = nonNil(v.Blocks)
	c.Response().Header().Set(echo.HeaderLocation, "/v1/agents/"+url.PathEscape(v.ID))
	return c.JSON(http.StatusCreated, v)
}

func (s *Server) listAgents(c echo.Context) error {
	q, err := query(c, "limit", "cursor")
	if err != nil {
		return err
	}
	limit, err := limitParam(q["limit"])
	if err != nil {
		return err
	}
	agents, next, err := s.mem.ListAgents(c.Request().Context(), state.ListOptions{Limit: limit, Cursor: q["cursor"]})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, list[state.Agent]{Items: nonNil(agents), NextCursor: next})
}

func (s *Server) getAgent(c echo.Context) error {
	id, _, err := agentParam(c)
	if err != nil {
		return err
	}
	v, err := s.mem.GetAgent(c.Request().Context(), id)
	if err != nil {
		return err
	}
	v.Blocks = nonNil(v.Blocks)
	return c.JSON(http.StatusOK, v)
}

func (s *Server) updateAgent(c echo.Context) error {
	id, _, err := agentParam(c)
	if err != nil {
		return err
	}
	var patch pager.AgentPatch
	if err := decode(c, s.cfg.BodyLimit, &patch); err != nil {
		return err
	}
	v, err := s.mem.UpdateAgent(c.Request().Context(), id, patch)
	if err != nil {
		return err
	}
	v.Blocks = nonNil(v.Blocks)
	return c.JSON(http.StatusOK, v)
}

func (s *Server) deleteAgent(c echo.Context) error {
	id, _, err := agentParam(c)
	if err != nil {
		return err
	}
	if err := s.mem.DeleteAgent(c.Request().Context(), id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// agentStats answers the size of an agent's memory, for the inspector's list of agents.
func (s *Server) agentStats(c echo.Context) error {
	id, _, err := agentParam(c)
	if err != nil {
		return err
	}
	st, err := s.mem.Stats(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, st)
}

// agentParam returns a request's {agent_id} path parameter and its query parameters, of which it
// accepts only the names in allowed.
func agentParam(c echo.Context, allowed ...string) (string, map[string]string, error) {
	q, err := query(c, allowed...)
	if err != nil {
		return "", nil, err
	}
	id, err := param(c, "agent_id")
	return id, q, err
}
