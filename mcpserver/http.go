package mcpserver

import (
	"context"
	"net/http"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// AgentHeader names the agent of an HTTP session, as the agent_id query parameter does.
const AgentHeader = "X-Agent-Id"

// AgentOf returns the agent an MCP HTTP request names: the agent_id query parameter, else the
// X-Agent-Id header.
func AgentOf(r *http.Request) string {
	if id := r.URL.Query().Get("agent_id"); id != "" {
		return id
	}
	return r.Header.Get(AgentHeader)
}

type bindingKey struct{}

// WithBinding returns a request whose MCP session is bound to b, with the agent's blocks.
// Handler serves only requests bound this way: the caller authenticates the request and checks
// that the agent exists for its tenant first.
func WithBinding(r *http.Request, b Binding, mem Memory) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), bindingKey{}, &bound{b: b, mem: mem}))
}

type bound struct {
	b   Binding
	mem Memory
	srv *mcp.Server
}

// Handler serves Streamable HTTP, stateless: each POST makes a server for the binding its request
// carries (WithBinding), so every request is authenticated and bound afresh and no session outlives
// it. GET and DELETE answer 405. maxBody bounds a request's body.
func Handler(maxBody int64) http.Handler {
	return mcp.NewStreamableHTTPHandler(func(r *http.Request) *mcp.Server {
		bd, ok := r.Context().Value(bindingKey{}).(*bound)
		if !ok {
			return nil
		}
		if bd.srv == nil { // the SDK asks twice per request
			a, err := bd.mem.GetAgent(bd.b.scope(r.Context()), bd.b.AgentID)
			if err != nil {
				return nil
			}
			bd.srv = New(bd.mem, bd.b, a.Blocks)
		}
		return bd.srv
	}, &mcp.StreamableHTTPOptions{Stateless: true, JSONResponse: true, MaxRequestBodyBytes: maxBody})
}
