package api

import (
	"github.com/labstack/echo/v4"

	"github.com/memsvc/memsvc/mcpserver"
	"github.com/memsvc/memsvc/pager"
)

// serveMCP serves the Model Context Protocol (Streamable HTTP, stateless) at /mcp for the agent
// named by ?agent_id= or the X-Agent-Id header. The request went through authenticate like any
// /v1 request, so it acts for its key's tenant; an agent of another tenant answers 404 before any
// MCP exchange.
func (s *Server) serveMCP(c echo.Context) error {
	if _, err := query(c, "agent_id"); err != nil {
		return err
	}
	id := mcpserver.AgentOf(c.Request())
	if id == "" {
		return fail(pager.ErrInvalidArgument, "name the agent: /mcp?agent_id=ag_… or the %s header", mcpserver.AgentHeader)
	}
	if len(id) > MaxParamBytes {
		return fail(pager.ErrInvalidArgument, "agent_id is longer than %d bytes", MaxParamBytes)
	}
	if _, err := s.mem.GetAgent(c.Request().Context(), id); err != nil {
		return err
	}
	r := mcpserver.WithBinding(c.Request(), mcpserver.Binding{Tenant: tenantOf(c), AgentID: id}, s.mem)
	s.mcp.ServeHTTP(c.Response(), r)
	return nil
}
