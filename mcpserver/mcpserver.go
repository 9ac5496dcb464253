// Package mcpserver serves one agent's memory over the Model Context Protocol, on the official Go
// SDK: the memory tools, the core memory blocks and the main context as resources, and a prompt
// that tells a model how to use its memory.
//
// The contract it keeps:
//   - One definition of the tools: pager.ToolDefs are listed as they are, and every call runs
//     through Memory.CallTool, as POST …/tool-calls does, so permissions, argument checks and
//     answers are the REST API's. A bad argument or a denied tool is a tool result with isError.
//   - A server is bound to one agent of one tenant (Binding). Every handler scopes its context to
//     that tenant (state.WithTenant), so a session never sees another tenant's resources, and
//     a resource URI naming another agent is not found.
//   - Two transports: Handler serves Streamable HTTP, stateless (each POST is authenticated and
//     bound afresh by the caller, package api); New's server runs over stdio in `memsvc mcp`.
package mcpserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/memsvc/memsvc/pager"
	"github.com/memsvc/memsvc/state"
)

// Memory is what the MCP server calls on the memory domain; *pager.Service implements it.
type Memory interface {
	// GetAgent returns the agent with its blocks; a *pager.Error of kind ErrNotFound if it does
	// not exist for the context's tenant.
	GetAgent(ctx context.Context, id string) (pager.AgentView, error)
	// Context returns the main context shaped for format ("openai" or "anthropic").
	Context(ctx context.Context, agentID, format string) (pager.ContextView, error)
	// CallTool runs one memory tool; a bad argument is a result with IsError, not an error.
	CallTool(ctx context.Context, agentID string, call pager.ToolCall) (pager.ToolResult, error)
}

// Binding is who a server acts for: one agent of one tenant.
type Binding struct {
	Tenant  string
	AgentID string
}

func (b Binding) scope(ctx context.Context) context.Context { return state.WithTenant(ctx, b.Tenant) }

// Version is the server version MCP clients are told.
var Version = "v1"

// PromptName is the prompt that tells a model how to use its memory.
const PromptName = "use_memory"

// URIs of the resources of an agent.
func contextURI(agentID string) string {
	return "memsvc://agents/" + url.PathEscape(agentID) + "/context"
}
func blockURI(agentID, label string) string {
	return "memsvc://agents/" + url.PathEscape(agentID) + "/blocks/" + url.PathEscape(label)
}

// New returns an MCP server bound to one agent. blocks are the agent's blocks when the server is
// made: each is listed as a resource (a block made later is still read through the block URI
// template).
func New(mem Memory, b Binding, blocks []state.Block) *mcp.Server {
	s := mcp.NewServer(&mcp.Implementation{Name: "memsvc", Title: "memsvc memory", Version: Version}, &mcp.ServerOptions{
		Instructions: instructions,
	})
	for _, d := range pager.ToolDefs {
		name := d.Name
		s.AddTool(&mcp.Tool{Name: name, Description: d.Description, InputSchema: d.Parameters},
			func(ctx context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
				args := req.Params.Arguments
				if len(args) == 0 {
					args = json.RawMessage("{}")
				}
				res, err := mem.CallTool(b.scope(ctx), b.AgentID, pager.ToolCall{Name: name, Arguments: args})
				if err != nil {
					return nil, safe(err)
				}
				out := &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: res.Content}}, IsError: res.IsError}
				if m, ok := asObject(res.Data); ok {
					out.StructuredContent = m
				}
				return out, nil
			})
	}

	s.AddResource(&mcp.Resource{URI: contextURI(b.AgentID), Name: "context", MIMEType: "application/json",
		Title:       "Main context",
		Description: "The agent's main context as memsvc sends it to a model: system text with the core memory blocks and summary, the messages in context, and the token budget."},
		func(ctx context.Context, req *mcp.ReadResourceRequest) (*mcp.ReadResourceResult, error) {
			v, err := mem.Context(b.scope(ctx), b.AgentID, pager.FormatOpenAI)
			if err != nil {
				return nil, safe(err)
			}
			return jsonResource(req.Params.URI, v)
		})
	readBlock := func(ctx context.Context, req *mcp.ReadResourceRequest) (*mcp.ReadResourceResult, error) {
		label, ok := blockLabel(b.AgentID, req.Params.URI)
		if !ok {
			return nil, mcp.ResourceNotFoundError(req.Params.URI)
		}
		a, err := mem.GetAgent(b.scope(ctx), b.AgentID)
		if err != nil {
			return nil, safe(err)
		}
		for _, blk := range a.Blocks {
			if blk.Label == label {
				return &mcp.ReadResourceResult{Contents: []*mcp.ResourceContents{{URI: req.Params.URI, MIMEType: "text/plain", Text: blk.Value}}}, nil
			}
		}
		return nil, mcp.ResourceNotFoundError(req.Params.URI)
	}
	for _, blk := range blocks {
		s.AddResource(&mcp.Resource{URI: blockURI(b.AgentID, blk.Label), Name: "block " + blk.Label, MIMEType: "text/plain",
			Title: "Core memory block " + blk.Label, Description: blockDescription(blk)}, readBlock)
	}
	s.AddResourceTemplate(&mcp.ResourceTemplate{URITemplate: "memsvc://agents/{agent_id}/blocks/{label}", Name: "block",
		MIMEType: "text/plain", Description: "A core memory block of the agent, by label."}, readBlock)

	s.AddPrompt(&mcp.Prompt{Name: PromptName, Title: "Use memsvc memory",
		Description: "Tells the model how to use its memory tools, with its core memory as it is now."},
		func(ctx context.Context, req *mcp.GetPromptRequest) (*mcp.GetPromptResult, error) {
			a, err := mem.GetAgent(b.scope(ctx), b.AgentID)
			if err != nil {
				return nil, safe(err)
			}
			return &mcp.GetPromptResult{Description: "How to use memsvc memory",
				Messages: []*mcp.PromptMessage{{Role: "user", Content: &mcp.TextContent{Text: promptText(a.Blocks)}}}}, nil
		})
	return s
}

// safe returns an error fit to show an MCP client: a caller's error (*pager.Error) as it is, a
// cancelled or expired context as it is, anything else (a store failure) as a generic message,
// as the REST API answers 500 without detail.
func safe(err error) error {
	var pe *pager.Error
	if errors.As(err, &pe) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return errors.New("memsvc: internal error")
}

func blockDescription(b state.Block) string {
	d := fmt.Sprintf("%d of %d characters", len([]rune(b.Value)), b.Limit)
	if b.ReadOnly {
		d += ", read-only"
	}
	if b.Description != "" {
		d = b.Description + " (" + d + ")"
	}
	return d
}

// blockLabel returns the label a block URI of the agent names.
func blockLabel(agentID, uri string) (string, bool) {
	prefix := "memsvc://agents/" + url.PathEscape(agentID) + "/blocks/"
	rest, ok := strings.CutPrefix(uri, prefix)
	if !ok || rest == "" {
		return "", false
	}
	label, err := url.PathUnescape(rest)
	return label, err == nil
}

func jsonResource(uri string, v any) (*mcp.ReadResourceResult, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return &mcp.ReadResourceResult{Contents: []*mcp.ResourceContents{{URI: uri, MIMEType: "application/json", Text: string(b)}}}, nil
}

// asObject returns v as a JSON object, if it encodes as one.
func asObject(v any) (map[string]any, bool) {
	if v == nil {
		return nil, false
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, false
	}
	var m map[string]any
	if json.Unmarshal(b, &m) != nil || m == nil {
		return nil, false
	}
	return m, true
}

const instructions = `memsvc is this agent's long-term memory. Core memory blocks are always in context; ` +
	`archival memory holds facts, searched with archival_memory_search; the whole conversation, ` +
	`including what left the context, is searched with conversation_search.`

func promptText(blocks []state.Block) string {
	var sb strings.Builder
	sb.WriteString(`You have a memory that outlives this conversation. Use it:
- Before answering about the user, past events or facts you may have stored, search: archival_memory_search for facts, conversation_search for what was said earlier.
- When you learn a durable fact, store it with archival_memory_insert as one self-contained sentence. Give a key such as "alice/city" to a fact that has one value at a time, so a newer value supersedes the old one.
- When a stored fact is no longer true, call memory_invalidate with its passage_id and the reason.
- Keep what you must always know in core memory: core_memory_append adds to a block, core_memory_replace edits it.
- Results say whether each memory is still valid; prefer valid ones, and say so when you rely on an old one.
`)
	if len(blocks) > 0 {
		sb.WriteString("\nYour core memory now:\n")
		for _, b := range blocks {
			fmt.Fprintf(&sb, "<%s>\n%s\n</%s>\n", b.Label, b.Value, b.Label)
		}
	}
	return sb.String()
}
