package api

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/memsvc/memsvc/pager"
)

// toolList is the answer of GET /v1/agents/{agent_id}/tools.
type toolList struct {
	Tools []any `json:"tools"`
}

// listTools answers the memory tool definitions shaped for ?format= (openai, the default, or
// anthropic). The agent must exist, so another tenant's agent answers 404 like every resource.
func (s *Server) listTools(c echo.Context) error {
	id, q, err := agentParam(c, "format")
	if err != nil {
		return err
	}
	tools, err := pager.Tools(q["format"])
	if err != nil {
		return err
	}
	if _, err := s.mem.GetAgent(c.Request().Context(), id); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toolList{Tools: nonNil(tools)})
}

// callTool runs one memory tool. A bad argument answers 200 with content telling the model what
// to fix; only a missing agent or a server failure is an HTTP error.
func (s *Server) callTool(c echo.Context) error {
	id, _, err := agentParam(c)
	if err != nil {
		return err
	}
	var call pager.ToolCall
	if err := decode(c, s.cfg.BodyLimit, &call); err != nil {
		return err
	}
	res, err := s.mem.CallTool(c.Request().Context(), id, call)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, res)
}
