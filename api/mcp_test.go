package api_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/memsvc/memsvc/pager"
)

// bearer adds an API key to every request of an MCP client.
type bearer struct{ token string }

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return http.DefaultTransport.RoundTrip(r)
}

func mcpConnect(ctx context.Context, url, token string) (*mcp.ClientSession, error) {
	c := mcp.NewClient(&mcp.Implementation{Name: "test", Version: "1"}, nil)
	return c.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: url, HTTPClient: &http.Client{Transport: bearer{token}}, MaxRetries: -1}, nil)
}

// TestMCPOverHTTP serves /mcp on both stores and drives it with the Go SDK's client: the tools
// are pager.ToolDefs and run through the pager, a session sees only its agent, and another
// tenant's key, an unknown agent and a missing agent are refused before any MCP exchange. (The
// official TypeScript client drives a real memsvc over both transports in cmd/memsvc.)
func TestMCPOverHTTP(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *keyEnv) {
		ctx := context.Background()
		tok, other := e.key("acme", false), e.key("other", false)
		spec := `{"name": "a", "blocks": [{"label": "human", "value": "Name: Ada.", "limit": 100}]}`
		id := e.callAs(tok, "POST", "/v1/agents", spec, http.StatusCreated)["id"].(string)
		sibling := e.callAs(tok, "POST", "/v1/agents", spec, http.StatusCreated)["id"].(string)
		srv := httptest.NewServer(e.h)
		defer srv.Close()

		cs, err := mcpConnect(ctx, srv.URL+"/mcp?agent_id="+id, tok)
		if err != nil {
			t.Fatal(err)
		}
		defer cs.Close()
		tools, err := cs.ListTools(ctx, nil)
		if err != nil || len(tools.Tools) != len(pager.ToolDefs) {
			t.Fatalf("tools/list: %v %+v", err, tools)
		}
		for i, tl := range tools.Tools {
			if tl.Name != pager.ToolDefs[i].Name || tl.Description != pager.ToolDefs[i].Description {
				t.Errorf("tool %d is %q, want pager.ToolDefs' %q", i, tl.Name, pager.ToolDefs[i].Name)
			}
		}
		res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "archival_memory_insert", Arguments: map[string]any{"content": "Ada keeps bees."}})
		if err != nil || res.IsError {
			t.Fatalf("insert: %v %+v", err, res)
		}
		hits := e.callAs(tok, "POST", "/v1/agents/"+id+"/archival/search", `{"query": "bees"}`, http.StatusOK)["results"].([]any)
		if len(hits) != 1 || hits[0].(map[string]any)["passage"].(map[string]any)["source"] != "agent" {
			t.Errorf("the MCP insert is not in the agent's archival memory as the agent's: %v", hits)
		}
		res, err = cs.CallTool(ctx, &mcp.CallToolParams{Name: "core_memory_append", Arguments: map[string]any{"label": "nope", "content": "x"}})
		if err != nil || !res.IsError {
			t.Errorf("append to a missing block: %v %+v, want a tool error", err, res)
		}
		rr, err := cs.ReadResource(ctx, &mcp.ReadResourceParams{URI: "memsvc://agents/" + id + "/blocks/human"})
		if err != nil || rr.Contents[0].Text != "Name: Ada." {
			t.Errorf("block resource: %v %+v", err, rr)
		}
		if _, err := cs.ReadResource(ctx, &mcp.ReadResourceParams{URI: "memsvc://agents/" + sibling + "/blocks/human"}); err == nil {
			t.Error("a session read another agent's block")
		}

		// Refused before MCP: another tenant's key, an unknown agent, no agent, GET.
		for _, tc := range []struct{ url, token, code string }{
			{srv.URL + "/mcp?agent_id=" + id, other, "Not Found"},
			{srv.URL + "/mcp?agent_id=ag_nope", tok, "Not Found"},
			{srv.URL + "/mcp", tok, "Bad Request"},
			{srv.URL + "/mcp?agent_id=" + id + "&x=1", tok, "Bad Request"},
			{srv.URL + "/mcp?agent_id=" + id, "msk_bad", "Unauthorized"},
		} {
			if _, err := mcpConnect(ctx, tc.url, tc.token); err == nil || !strings.Contains(err.Error(), tc.code) {
				t.Errorf("%s: connect error %v, want %s", tc.url, err, tc.code)
			}
		}
		if w := e.as(tok, "GET", "/mcp?agent_id="+id, ""); w.Code != http.StatusMethodNotAllowed {
			t.Errorf("GET /mcp: %d", w.Code)
		}
	})
}
