package client

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"

	"github.com/memsvc/memsvc/api"
	"github.com/memsvc/memsvc/archival"
	"github.com/memsvc/memsvc/compaction"
	"github.com/memsvc/memsvc/pager"
	"github.com/memsvc/memsvc/state"
)

// Page selects a page of a list: Limit 0 takes the server's default, Cursor "" the first page
// (pass the previous page's NextCursor for the next).
type Page struct {
	Limit  int
	Cursor string
}

func (pg Page) query() url.Values {
	q := url.Values{}
	if pg.Limit > 0 {
		q.Set("limit", strconv.Itoa(pg.Limit))
	}
	if pg.Cursor != "" {
		q.Set("cursor", pg.Cursor)
	}
	return q
}

// Health answers nil when the process is up (GET /healthz); Ready when its stores are reachable.
func (c *Client) Health(ctx context.Context) error {
	return c.do(ctx, http.MethodGet, "/healthz", nil, nil, nil)
}

// Ready answers nil when the server's stores are reachable (GET /readyz).
func (c *Client) Ready(ctx context.Context) error {
	return c.do(ctx, http.MethodGet, "/readyz", nil, nil, nil)
}

// CreateAgent creates an agent (POST /v1/agents).
func (c *Client) CreateAgent(ctx context.Context, spec pager.AgentSpec) (pager.AgentView, error) {
	var out pager.AgentView
	return out, c.do(ctx, http.MethodPost, "/v1/agents", nil, spec, &out)
}

// ListAgents lists the tenant's agents, oldest first.
func (c *Client) ListAgents(ctx context.Context, pg Page) (api.List[state.Agent], error) {
	var out api.List[state.Agent]
	return out, c.do(ctx, http.MethodGet, "/v1/agents", pg.query(), nil, &out)
}

// GetAgent returns an agent with its blocks and context state.
func (c *Client) GetAgent(ctx context.Context, agentID string) (pager.AgentView, error) {
	var out pager.AgentView
	return out, c.do(ctx, http.MethodGet, p("/v1/agents/", agentID), nil, nil, &out)
}

// UpdateAgent changes an agent; nil fields of patch stay as they are.
func (c *Client) UpdateAgent(ctx context.Context, agentID string, patch pager.AgentPatch) (pager.AgentView, error) {
	var out pager.AgentView
	return out, c.do(ctx, http.MethodPatch, p("/v1/agents/", agentID), nil, patch, &out)
}

// DeleteAgent deletes an agent and every memory it has.
func (c *Client) DeleteAgent(ctx context.Context, agentID string) error {
	return c.do(ctx, http.MethodDelete, p("/v1/agents/", agentID), nil, nil, nil)
}

// Append appends messages to the agent's main context as one paging step.
func (c *Client) Append(ctx context.Context, agentID string, msgs ...pager.MessageInput) (pager.AppendResult, error) {
	var out pager.AppendResult
	return out, c.do(ctx, http.MethodPost, p("/v1/agents/", agentID, "/messages"), nil, api.AppendRequest{Messages: msgs}, &out)
}

// Messages returns a page of the full history, oldest first.
func (c *Client) Messages(ctx context.Context, agentID string, pg Page) (api.List[state.Message], error) {
	var out api.List[state.Message]
	return out, c.do(ctx, http.MethodGet, p("/v1/agents/", agentID, "/messages"), pg.query(), nil, &out)
}

// Context returns the window to send to the model, shaped for format ("" or "openai",
// "anthropic").
func (c *Client) Context(ctx context.Context, agentID, format string) (pager.ContextView, error) {
	q := url.Values{}
	if format != "" {
		q.Set("format", format)
	}
	var out pager.ContextView
	return out, c.do(ctx, http.MethodGet, p("/v1/agents/", agentID, "/context"), q, nil, &out)
}

// Summaries returns a page of the agent's running summaries, oldest first.
func (c *Client) Summaries(ctx context.Context, agentID string, pg Page) (api.List[state.Summary], error) {
	var out api.List[state.Summary]
	return out, c.do(ctx, http.MethodGet, p("/v1/agents/", agentID, "/summaries"), pg.query(), nil, &out)
}

// RequestCompaction queues a compaction of the agent's context.
func (c *Client) RequestCompaction(ctx context.Context, agentID string) (compaction.Job, error) {
	var out compaction.Job
	return out, c.do(ctx, http.MethodPost, p("/v1/agents/", agentID, "/compactions"), nil, nil, &out)
}

// Compactions lists the agent's compaction jobs, oldest first (limit 0: the server's default).
func (c *Client) Compactions(ctx context.Context, agentID string, limit int) ([]compaction.Job, error) {
	var out api.List[compaction.Job]
	var q url.Values
	if limit > 0 {
		q = url.Values{"limit": {strconv.Itoa(limit)}}
	}
	return out.Items, c.do(ctx, http.MethodGet, p("/v1/agents/", agentID, "/compactions"), q, nil, &out)
}

// CompactionBudget returns the agent's account against the compaction scheduler's budget.
func (c *Client) CompactionBudget(ctx context.Context, agentID string) (compaction.BudgetView, error) {
	var out compaction.BudgetView
	return out, c.do(ctx, http.MethodGet, p("/v1/agents/", agentID, "/compaction-budget"), nil, nil, &out)
}

// Stats returns the size of the agent's memory (messages, evicted, passages, context).
func (c *Client) Stats(ctx context.Context, agentID string) (pager.AgentStats, error) {
	var out pager.AgentStats
	return out, c.do(ctx, http.MethodGet, p("/v1/agents/", agentID, "/stats"), nil, nil, &out)
}

// Compaction returns a compaction job.
func (c *Client) Compaction(ctx context.Context, jobID string) (compaction.Job, error) {
	var out compaction.Job
	return out, c.do(ctx, http.MethodGet, p("/v1/compactions/", jobID), nil, nil, &out)
}

// Blocks returns the agent's core memory blocks, by label.
func (c *Client) Blocks(ctx context.Context, agentID string) ([]state.Block, error) {
	var out api.List[state.Block]
	return out.Items, c.do(ctx, http.MethodGet, p("/v1/agents/", agentID, "/blocks"), nil, nil, &out)
}

// Block returns one core memory block.
func (c *Client) Block(ctx context.Context, agentID, label string) (state.Block, error) {
	var out state.Block
	return out, c.do(ctx, http.MethodGet, p("/v1/agents/", agentID, "/blocks/", label), nil, nil, &out)
}

// PutBlock creates or replaces a block.
func (c *Client) PutBlock(ctx context.Context, agentID, label string, in pager.BlockInput) (state.Block, error) {
	var out state.Block
	return out, c.do(ctx, http.MethodPut, p("/v1/agents/", agentID, "/blocks/", label), nil, in, &out)
}

// BlockHistory returns every write of a block.
func (c *Client) BlockHistory(ctx context.Context, agentID, label string) ([]state.BlockEvent, error) {
	var out api.List[state.BlockEvent]
	return out.Items, c.do(ctx, http.MethodGet, p("/v1/agents/", agentID, "/blocks/", label, "/history"), nil, nil, &out)
}

// UndoBlock walks a block's last write back.
func (c *Client) UndoBlock(ctx context.Context, agentID, label string) (state.Block, error) {
	var out state.Block
	return out, c.do(ctx, http.MethodPost, p("/v1/agents/", agentID, "/blocks/", label, "/undo"), nil, nil, &out)
}

// InsertPassage stores a passage in archival memory.
func (c *Client) InsertPassage(ctx context.Context, agentID string, in pager.PassageInput) (archival.Passage, error) {
	var out archival.Passage
	return out, c.do(ctx, http.MethodPost, p("/v1/agents/", agentID, "/archival"), nil, in, &out)
}

// InsertPassages stores up to 1,000 passages in one atomic write (all, or on error none).
func (c *Client) InsertPassages(ctx context.Context, agentID string, in []pager.PassageInput) ([]archival.Passage, error) {
	var out api.StoredPassages
	return out.Passages, c.do(ctx, http.MethodPost, p("/v1/agents/", agentID, "/archival/batch"), nil, api.PassageBatch{Passages: in}, &out)
}

// SearchArchival searches archival memory, best first.
func (c *Client) SearchArchival(ctx context.Context, agentID string, q pager.ArchivalQuery) ([]pager.ArchivalHit, error) {
	var out api.ArchivalResults
	return out.Results, c.do(ctx, http.MethodPost, p("/v1/agents/", agentID, "/archival/search"), nil, q, &out)
}

// Passage returns one passage.
func (c *Client) Passage(ctx context.Context, agentID, passageID string) (archival.Passage, error) {
	var out archival.Passage
	return out, c.do(ctx, http.MethodGet, p("/v1/agents/", agentID, "/archival/", passageID), nil, nil, &out)
}

// DeletePassage deletes a passage.
func (c *Client) DeletePassage(ctx context.Context, agentID, passageID string) error {
	return c.do(ctx, http.MethodDelete, p("/v1/agents/", agentID, "/archival/", passageID), nil, nil, nil)
}

// PassageHistory returns a page of a passage's validity changes, oldest first.
func (c *Client) PassageHistory(ctx context.Context, agentID, passageID string, pg Page) (api.List[archival.Event], error) {
	var out api.List[archival.Event]
	return out, c.do(ctx, http.MethodGet, p("/v1/agents/", agentID, "/archival/", passageID, "/history"), pg.query(), nil, &out)
}

// Invalidate marks a passage no longer true: superseded when supersededBy is set.
func (c *Client) Invalidate(ctx context.Context, agentID, passageID, reason, supersededBy string) (archival.Passage, error) {
	var out archival.Passage
	return out, c.do(ctx, http.MethodPost, p("/v1/agents/", agentID, "/archival/", passageID, "/invalidate"), nil,
		api.InvalidateRequest{Reason: reason, SupersededBy: supersededBy}, &out)
}

// Restore undoes an invalidation or supersession.
func (c *Client) Restore(ctx context.Context, agentID, passageID string) (archival.Passage, error) {
	var out archival.Passage
	return out, c.do(ctx, http.MethodPost, p("/v1/agents/", agentID, "/archival/", passageID, "/restore"), nil, nil, &out)
}

// SearchRecall searches the message history, evicted messages included.
func (c *Client) SearchRecall(ctx context.Context, agentID string, q pager.RecallQuery) ([]pager.RecallHit, error) {
	var out api.RecallResults
	return out.Results, c.do(ctx, http.MethodPost, p("/v1/agents/", agentID, "/recall/search"), nil, q, &out)
}

// Tools returns the memory tool definitions shaped for format ("" or "openai", "anthropic"),
// ready to hand to the model.
func (c *Client) Tools(ctx context.Context, agentID, format string) ([]any, error) {
	q := url.Values{}
	if format != "" {
		q.Set("format", format)
	}
	var out api.ToolList
	return out.Tools, c.do(ctx, http.MethodGet, p("/v1/agents/", agentID, "/tools"), q, nil, &out)
}

// CallTool runs one memory tool the model called. A bad argument is a result with IsError.
func (c *Client) CallTool(ctx context.Context, agentID string, call pager.ToolCall) (pager.ToolResult, error) {
	var out pager.ToolResult
	return out, c.do(ctx, http.MethodPost, p("/v1/agents/", agentID, "/tool-calls"), nil, call, &out)
}

// AgentPermissions returns the policies that apply to an agent.
func (c *Client) AgentPermissions(ctx context.Context, agentID string) (pager.PermissionsView, error) {
	var out pager.PermissionsView
	return out, c.do(ctx, http.MethodGet, p("/v1/agents/", agentID, "/permissions"), nil, nil, &out)
}

// CreateSharedBlock makes a block of the tenant, to attach to agents.
func (c *Client) CreateSharedBlock(ctx context.Context, in pager.SharedBlockInput) (state.SharedBlock, error) {
	var out state.SharedBlock
	return out, c.do(ctx, http.MethodPost, "/v1/blocks", nil, in, &out)
}

// SharedBlock returns a shared block with its attachments.
func (c *Client) SharedBlock(ctx context.Context, blockID string) (state.SharedBlock, error) {
	var out state.SharedBlock
	return out, c.do(ctx, http.MethodGet, p("/v1/blocks/", blockID), nil, nil, &out)
}

// AttachBlock attaches a shared block to an agent.
func (c *Client) AttachBlock(ctx context.Context, agentID string, in pager.AttachInput) (state.Block, error) {
	var out state.Block
	return out, c.do(ctx, http.MethodPost, p("/v1/agents/", agentID, "/attachments"), nil, in, &out)
}

// DetachBlock detaches a shared block from an agent.
func (c *Client) DetachBlock(ctx context.Context, agentID, blockID string) error {
	return c.do(ctx, http.MethodDelete, p("/v1/agents/", agentID, "/attachments/", blockID), nil, nil, nil)
}

// CreateKey creates an API key (admin key only); the answer holds its token, shown only now.
func (c *Client) CreateKey(ctx context.Context, in api.KeyRequest) (api.CreatedKey, error) {
	var out api.CreatedKey
	return out, c.do(ctx, http.MethodPost, "/v1/admin/keys", nil, in, &out)
}

// ListKeys lists API keys, of one tenant when tenant is set (admin key only).
func (c *Client) ListKeys(ctx context.Context, tenant string, pg Page) (api.List[state.APIKey], error) {
	q := pg.query()
	if tenant != "" {
		q.Set("tenant", tenant)
	}
	var out api.List[state.APIKey]
	return out, c.do(ctx, http.MethodGet, "/v1/admin/keys", q, nil, &out)
}

// RevokeKey revokes an API key (admin key only).
func (c *Client) RevokeKey(ctx context.Context, keyID string) error {
	return c.do(ctx, http.MethodDelete, p("/v1/admin/keys/", keyID), nil, nil, nil)
}

// TenantPermissions returns a tenant's default permissions (admin key only).
func (c *Client) TenantPermissions(ctx context.Context, tenant string) (state.Permissions, error) {
	var out state.Permissions
	return out, c.do(ctx, http.MethodGet, p("/v1/admin/tenants/", tenant, "/permissions"), nil, nil, &out)
}

// SetTenantPermissions replaces a tenant's default permissions (admin key only).
func (c *Client) SetTenantPermissions(ctx context.Context, tenant string, perms state.Permissions) (state.Permissions, error) {
	var out state.Permissions
	return out, c.do(ctx, http.MethodPut, p("/v1/admin/tenants/", tenant, "/permissions"), nil, perms, &out)
}

// ExportAgent returns the agent's portable copy (format memsvc.agent).
func (c *Client) ExportAgent(ctx context.Context, agentID string) (pager.Export, error) {
	var out pager.Export
	return out, c.do(ctx, http.MethodGet, p("/v1/agents/", agentID, "/export"), nil, nil, &out)
}

// ImportAgent stores an export as an agent of this key's tenant, with the IDs it had.
func (c *Client) ImportAgent(ctx context.Context, doc pager.Export) (pager.AgentView, error) {
	var out pager.AgentView
	return out, c.do(ctx, http.MethodPost, "/v1/agents/import", nil, doc, &out)
}

// ImportLetta imports a Letta Agent File (.af, its bytes as Letta wrote them) as a new agent.
func (c *Client) ImportLetta(ctx context.Context, af []byte) (pager.AgentView, error) {
	var out pager.AgentView
	return out, c.do(ctx, http.MethodPost, "/v1/agents/import/letta", nil, json.RawMessage(af), &out)
}
