package mcpserver_test

import (
	"context"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/memsvc/memsvc/mcpserver"
	"github.com/memsvc/memsvc/pager"
	"github.com/memsvc/memsvc/pager/pagertest"
	"github.com/memsvc/memsvc/state"
)

func newService(t *testing.T) *pager.Service {
	t.Helper()
	svc, _ := pagertest.Embedded(t)
	return svc
}

// connect runs New's server (as `memsvc mcp` does over stdio) on in-memory transports.
func connect(t *testing.T, svc *pager.Service, b mcpserver.Binding, blocks []state.Block) *mcp.ClientSession {
	t.Helper()
	ctx := context.Background()
	st, ct := mcp.NewInMemoryTransports()
	if _, err := mcpserver.New(svc, b, blocks).Connect(ctx, st, nil); err != nil {
		t.Fatal(err)
	}
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "test", Version: "1"}, nil).Connect(ctx, ct, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cs.Close() })
	return cs
}

// TestServerIsBoundToItsTenant: a server bound to tenant acme serves acme's agent; one bound to
// another tenant with the same agent ID finds nothing, whatever the client asks.
func TestServerIsBoundToItsTenant(t *testing.T) {
	ctx := context.Background()
	svc := newService(t)
	a, err := svc.CreateAgent(state.WithTenant(ctx, "acme"), pager.AgentSpec{Name: "a",
		Blocks: []state.Block{{Label: "human", Value: "Name: Ada.", Limit: 100}}})
	if err != nil {
		t.Fatal(err)
	}
	own := connect(t, svc, mcpserver.Binding{Tenant: "acme", AgentID: a.ID}, a.Blocks)
	res, err := own.CallTool(ctx, &mcp.CallToolParams{Name: "core_memory_append", Arguments: map[string]any{"label": "human", "content": "Keeps bees."}})
	if err != nil || res.IsError {
		t.Fatalf("append: %v %+v", err, res)
	}
	rr, err := own.ReadResource(ctx, &mcp.ReadResourceParams{URI: "memsvc://agents/" + a.ID + "/blocks/human"})
	if err != nil || rr.Contents[0].Text != "Name: Ada.\nKeeps bees." {
		t.Fatalf("block: %v %+v", err, rr)
	}
	pr, err := own.GetPrompt(ctx, &mcp.GetPromptParams{Name: mcpserver.PromptName})
	if err != nil || !strings.Contains(pr.Messages[0].Content.(*mcp.TextContent).Text, "Keeps bees.") {
		t.Fatalf("prompt: %v %+v", err, pr)
	}

	other := connect(t, svc, mcpserver.Binding{Tenant: "other", AgentID: a.ID}, nil)
	if _, err := other.CallTool(ctx, &mcp.CallToolParams{Name: "archival_memory_search", Arguments: map[string]any{"query": "bees"}}); err == nil {
		t.Error("another tenant's server ran a tool on the agent")
	}
	for _, uri := range []string{"memsvc://agents/" + a.ID + "/blocks/human", "memsvc://agents/" + a.ID + "/context"} {
		if _, err := other.ReadResource(ctx, &mcp.ReadResourceParams{URI: uri}); err == nil {
			t.Errorf("another tenant's server read %s", uri)
		}
	}
	if _, err := other.GetPrompt(ctx, &mcp.GetPromptParams{Name: mcpserver.PromptName}); err == nil {
		t.Error("another tenant's server rendered the agent's core memory in the prompt")
	}
}
