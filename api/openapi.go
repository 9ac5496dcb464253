package api

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
)

// operation describes one route for the OpenAPI document.
type operation struct {
	method, path string
	id, summary  string
	tag          string
	params       []string // names in components.parameters
	body         string   // request body schema, "" for none
	status       int      // success status
	result       string   // answer schema, "" for no content
	errors       []int    // error statuses besides those every /v1 operation has
}

// v1Errors are the error statuses every /v1 operation may answer.
var v1Errors = []int{400, 401, 429, 500, 503}

// operations lists every route the server registers; TestOpenAPICoversRoutes keeps them in step.
var operations = []operation{
	{method: "GET", path: "/healthz", id: "healthz", summary: "The process is up.", tag: "operations", status: 200, result: "Status"},
	{method: "GET", path: "/readyz", id: "readyz", summary: "The stores are reachable.", tag: "operations", status: 200, result: "Status", errors: []int{503}},
	{method: "GET", path: "/metrics", id: "metrics", summary: "Prometheus metrics, in the text exposition format.", tag: "operations", status: 200},
	{method: "GET", path: "/openapi.json", id: "openapi", summary: "This document.", tag: "operations", status: 200},
	{method: "POST", path: "/mcp", id: "mcp", summary: "The Model Context Protocol (Streamable HTTP, stateless, JSON answers) for one agent, named by ?agent_id= or the X-Agent-Id header: the memory tools, the core blocks and context as resources, and a prompt. Needs the same API key as /v1.", tag: "mcp",
		params: []string{"AgentQuery", "AgentHeader", "IdempotencyKey"}, body: "JSONRPCMessage", status: 200, result: "JSONRPCMessage", errors: []int{400, 401, 404, 413, 429}},

	{method: "POST", path: "/v1/agents", id: "createAgent", summary: "Create an agent.", tag: "agents",
		params: []string{"IdempotencyKey"}, body: "AgentCreate", status: 201, result: "Agent", errors: []int{413, 422}},
	{method: "GET", path: "/v1/agents", id: "listAgents", summary: "List agents, oldest first.", tag: "agents",
		params: []string{"Limit", "Cursor"}, status: 200, result: "AgentList"},
	{method: "GET", path: "/v1/agents/{agent_id}", id: "getAgent", summary: "Get an agent with its blocks and context state.", tag: "agents",
		params: []string{"AgentID"}, status: 200, result: "Agent", errors: []int{404}},
	{method: "PATCH", path: "/v1/agents/{agent_id}", id: "updateAgent", summary: "Change an agent; absent fields stay.", tag: "agents",
		params: []string{"AgentID", "IdempotencyKey"}, body: "AgentPatch", status: 200, result: "Agent", errors: []int{404, 413, 422}},
	{method: "DELETE", path: "/v1/agents/{agent_id}", id: "deleteAgent", summary: "Delete an agent and every memory it has.", tag: "agents",
		params: []string{"AgentID", "IdempotencyKey"}, status: 204, errors: []int{404}},
	{method: "GET", path: "/v1/agents/{agent_id}/export", id: "exportAgent", summary: "The agent's portable copy: a versioned document (format memsvc.agent) with its blocks, messages, summaries and archival passages with their validity, keys, vectors and history.", tag: "agents",
		params: []string{"AgentID"}, status: 200, result: "Export", errors: []int{404, 422}},
	{method: "POST", path: "/v1/agents/import", id: "importAgent", summary: "Store an export as an agent of the caller's tenant, with the IDs it had (409 when that agent exists). Up to 256 MiB.", tag: "agents",
		params: []string{"IdempotencyKey"}, body: "Export", status: 201, result: "Agent", errors: []int{409, 413, 422}},
	{method: "POST", path: "/v1/agents/import/letta", id: "importLetta", summary: "Import a Letta Agent File (.af) as a new agent: its core memory blocks, messages (in context or evicted) and passages; what has no equivalent goes to metadata.letta or is left out (see README). Up to 256 MiB.", tag: "agents",
		params: []string{"IdempotencyKey"}, body: "LettaAgentFile", status: 201, result: "Agent", errors: []int{413, 422}},

	{method: "GET", path: "/v1/agents/{agent_id}/stats", id: "agentStats", summary: "The size of an agent's memory: messages in its history, evicted ones, archival passages, and its context state.", tag: "agents",
		params: []string{"AgentID"}, status: 200, result: "AgentStats", errors: []int{404}},

	{method: "POST", path: "/v1/agents/{agent_id}/messages", id: "appendMessages", summary: "Append messages to the main context; the pager may warn, evict and summarize.", tag: "context",
		params: []string{"AgentID", "IdempotencyKey"}, body: "AppendRequest", status: 200, result: "AppendResult", errors: []int{404, 413}},
	{method: "GET", path: "/v1/agents/{agent_id}/messages", id: "listMessages", summary: "The full message history (in context and evicted), oldest first.", tag: "context",
		params: []string{"AgentID", "Limit", "SeqCursor"}, status: 200, result: "MessageList", errors: []int{404}},
	{method: "GET", path: "/v1/agents/{agent_id}/context", id: "getContext", summary: "The window to send to the model.", tag: "context",
		params: []string{"AgentID", "Format"}, status: 200, result: "ContextView", errors: []int{404}},

	{method: "GET", path: "/v1/agents/{agent_id}/summaries", id: "listSummaries", summary: "The agent's running summaries, oldest first, each with the messages it was made from.", tag: "context",
		params: []string{"AgentID", "Limit", "Cursor"}, status: 200, result: "SummaryList", errors: []int{404}},
	{method: "POST", path: "/v1/agents/{agent_id}/compactions", id: "requestCompaction", summary: "Compact the context now: evict down to target_ratio as a flush would and queue a compaction job, which folds the evicted messages into the running summary in the background (and rebuilds a stale summary).", tag: "context",
		params: []string{"AgentID", "IdempotencyKey"}, status: 202, result: "Job", errors: []int{404}},
	{method: "GET", path: "/v1/agents/{agent_id}/compactions", id: "listCompactions", summary: "The agent's compaction jobs, oldest first: the first limit of them (default 100, at most 1000), in one page.", tag: "context",
		params: []string{"AgentID", "Limit"}, status: 200, result: "JobList", errors: []int{404}},
	{method: "GET", path: "/v1/agents/{agent_id}/compaction-budget", id: "compactionBudget", summary: "The agent's account in the fair compaction scheduler against its per-agent token budget: used and remaining this period, throttled or not, virtual time, queued jobs.", tag: "context",
		params: []string{"AgentID"}, status: 200, result: "CompactionBudget", errors: []int{404}},
	{method: "GET", path: "/v1/compactions/{job_id}", id: "getCompaction", summary: "A compaction job: its status, summary, tokens and retention figure.", tag: "context",
		params: []string{"JobID"}, status: 200, result: "Job", errors: []int{404}},
	{method: "GET", path: "/v1/agents/{agent_id}/blocks", id: "listBlocks", summary: "The agent's core memory blocks, by label.", tag: "blocks",
		params: []string{"AgentID"}, status: 200, result: "BlockList", errors: []int{404}},
	{method: "GET", path: "/v1/agents/{agent_id}/blocks/{label}", id: "getBlock", summary: "One core memory block.", tag: "blocks",
		params: []string{"AgentID", "Label"}, status: 200, result: "Block", errors: []int{404}},
	{method: "PUT", path: "/v1/agents/{agent_id}/blocks/{label}", id: "putBlock", summary: "Create or replace a block. A read-only block answers 403, a value over its limit 422.", tag: "blocks",
		params: []string{"AgentID", "Label", "IdempotencyKey"}, body: "BlockInput", status: 200, result: "Block", errors: []int{403, 404, 413, 422}},

	{method: "POST", path: "/v1/agents/{agent_id}/archival", id: "insertPassage", summary: "Store a passage in archival memory.", tag: "archival",
		params: []string{"AgentID", "IdempotencyKey"}, body: "PassageInput", status: 201, result: "Passage", errors: []int{404, 413}},
	{method: "POST", path: "/v1/agents/{agent_id}/archival/search", id: "searchArchival", summary: "Hybrid search of archival memory, best first.", tag: "archival",
		params: []string{"AgentID", "IdempotencyKey"}, body: "ArchivalQuery", status: 200, result: "ArchivalResults", errors: []int{404, 413}},
	{method: "POST", path: "/v1/agents/{agent_id}/archival/batch", id: "insertPassages", summary: "Store up to 1,000 passages in one transaction: all of them, or on any error none.", tag: "archival",
		params: []string{"AgentID", "IdempotencyKey"}, body: "PassageBatch", status: 201, result: "StoredPassages", errors: []int{404, 413}},
	{method: "GET", path: "/v1/agents/{agent_id}/archival/{passage_id}", id: "getPassage", summary: "One passage.", tag: "archival",
		params: []string{"AgentID", "PassageID"}, status: 200, result: "Passage", errors: []int{404}},
	{method: "DELETE", path: "/v1/agents/{agent_id}/archival/{passage_id}", id: "deletePassage", summary: "Delete a passage.", tag: "archival",
		params: []string{"AgentID", "PassageID", "IdempotencyKey"}, status: 204, errors: []int{404}},
	{method: "GET", path: "/v1/agents/{agent_id}/archival/{passage_id}/history", id: "passageHistory", summary: "Every validity change of a passage, with its cause, oldest first.", tag: "archival",
		params: []string{"AgentID", "PassageID", "Limit", "Cursor"}, status: 200, result: "PassageEventList", errors: []int{404}},
	{method: "POST", path: "/v1/agents/{agent_id}/archival/{passage_id}/invalidate", id: "invalidatePassage", summary: "Mark a passage no longer true: superseded when superseded_by is given, else invalidated. Recorded in its history.", tag: "archival",
		params: []string{"AgentID", "PassageID", "IdempotencyKey"}, body: "InvalidateRequest", status: 200, result: "Passage", errors: []int{404}},
	{method: "POST", path: "/v1/agents/{agent_id}/archival/{passage_id}/restore", id: "restorePassage", summary: "Undo an invalidation or supersession. Recorded in the passage's history. 409 when the passage is valid.", tag: "archival",
		params: []string{"AgentID", "PassageID", "IdempotencyKey"}, status: 200, result: "Passage", errors: []int{404, 409}},

	{method: "POST", path: "/v1/agents/{agent_id}/recall/search", id: "searchRecall", summary: "Hybrid search of the message history, evicted messages included.", tag: "recall",
		params: []string{"AgentID", "IdempotencyKey"}, body: "RecallQuery", status: 200, result: "RecallResults", errors: []int{404, 413}},

	{method: "GET", path: "/v1/agents/{agent_id}/tools", id: "listTools", summary: "The memory tool definitions to hand the model.", tag: "tools",
		params: []string{"AgentID", "Format"}, status: 200, result: "ToolList", errors: []int{404}},
	{method: "POST", path: "/v1/agents/{agent_id}/tool-calls", id: "callTool", summary: "Run a memory tool. A bad argument, or a tool the agent's permissions deny, answers 200 with content saying so.", tag: "tools",
		params: []string{"AgentID", "IdempotencyKey"}, body: "ToolCall", status: 200, result: "ToolResult", errors: []int{404, 413}},

	{method: "GET", path: "/v1/agents/{agent_id}/permissions", id: "agentPermissions", summary: "The agent's policy, its tenant's, and what they permit.", tag: "security",
		params: []string{"AgentID"}, status: 200, result: "PermissionsView", errors: []int{404}},
	{method: "GET", path: "/v1/agents/{agent_id}/blocks/{label}/history", id: "blockHistory", summary: "The newest writes of a block, oldest first; an attachment's are the shared block's.", tag: "blocks",
		params: []string{"AgentID", "Label"}, status: 200, result: "BlockEventList", errors: []int{404}},
	{method: "POST", path: "/v1/agents/{agent_id}/blocks/{label}/undo", id: "undoBlock", summary: "Undo the block's latest write not undone yet; again goes further back. 409 when there is none or the block changed since.", tag: "blocks",
		params: []string{"AgentID", "Label", "IdempotencyKey"}, status: 200, result: "Block", errors: []int{403, 404, 409, 422}},
	{method: "POST", path: "/v1/agents/{agent_id}/attachments", id: "attachBlock", summary: "Attach a shared block: read-only, writable, or copy-on-write. Attaching again changes the mode.", tag: "blocks",
		params: []string{"AgentID", "IdempotencyKey"}, body: "AttachInput", status: 200, result: "Block", errors: []int{404, 409, 413, 422}},
	{method: "DELETE", path: "/v1/agents/{agent_id}/attachments/{block_id}", id: "detachBlock", summary: "Detach a shared block; the shared block stays.", tag: "blocks",
		params: []string{"AgentID", "BlockID", "IdempotencyKey"}, status: 204, errors: []int{404}},
	{method: "POST", path: "/v1/blocks", id: "createSharedBlock", summary: "Create a shared block in the key's tenant.", tag: "blocks",
		params: []string{"IdempotencyKey"}, body: "SharedBlockInput", status: 201, result: "SharedBlock", errors: []int{413, 422}},
	{method: "GET", path: "/v1/blocks/{block_id}", id: "getSharedBlock", summary: "A shared block with its attachments.", tag: "blocks",
		params: []string{"BlockID"}, status: 200, result: "SharedBlock", errors: []int{404}},

	{method: "POST", path: "/v1/admin/keys", id: "createKey", summary: "Create an API key (admin key only). The answer holds the token, shown only once.", tag: "security",
		params: []string{"IdempotencyKey"}, body: "KeyRequest", status: 201, result: "CreatedKey", errors: []int{403}},
	{method: "GET", path: "/v1/admin/keys", id: "listKeys", summary: "List API keys of every tenant, or of ?tenant= (admin key only).", tag: "security",
		params: []string{"Limit", "Cursor", "TenantFilter"}, status: 200, result: "APIKeyList", errors: []int{403}},
	{method: "DELETE", path: "/v1/admin/keys/{key_id}", id: "revokeKey", summary: "Revoke an API key (admin key only).", tag: "security",
		params: []string{"KeyID", "IdempotencyKey"}, status: 204, errors: []int{403, 404}},
	{method: "GET", path: "/v1/admin/tenants/{tenant}/permissions", id: "getTenantPermissions", summary: "A tenant's default permissions (admin key only).", tag: "security",
		params: []string{"Tenant"}, status: 200, result: "Permissions", errors: []int{403}},
	{method: "PUT", path: "/v1/admin/tenants/{tenant}/permissions", id: "putTenantPermissions", summary: "Replace a tenant's default permissions, which every agent of the tenant obeys on top of its own (admin key only).", tag: "security",
		params: []string{"Tenant", "IdempotencyKey"}, body: "Permissions", status: 200, result: "Permissions", errors: []int{403}},
}

const openAPIDescription = `memsvc is a MemGPT-style memory service for LLM agents: a paged main context, core memory
blocks, archival memory with validity, and searchable recall memory.

Errors answer a non-2xx status with {"error": {"code", "message"}}. Lists take ?limit=&cursor= and
answer {"items", "next_cursor"}; next_cursor is "" on the last page. Writes accept an Idempotency-Key
header: a repeat with the same key (same method and path) replays the first 2xx answer with the
header Idempotent-Replayed: true. Request bodies are strict JSON: unknown fields are refused.

Auth: Authorization: Bearer <api key>. A key belongs to one tenant and sees only its resources:
another tenant's answers 404. Without any key configured the server serves loopback clients only.
Each key is rate limited (429 with Retry-After). Agents obey deny-first permissions, per agent and
per tenant: a denied tool call answers 200 with content saying so, a denied REST write 403.`

func parameters() obj {
	path := func(name, desc string) obj {
		return obj{"name": name, "in": "path", "required": true, "description": desc, "schema": str("")}
	}
	return obj{
		"AgentID":   path("agent_id", "The agent's ID."),
		"Label":     path("label", "The block's label."),
		"PassageID": path("passage_id", "The passage's ID."),
		"BlockID":   path("block_id", "The shared block's ID."),
		"KeyID":     path("key_id", "The API key's ID."),
		"Tenant":    path("tenant", "The tenant's name."),
		"AgentQuery": obj{"name": "agent_id", "in": "query", "description": "The agent the MCP session acts for (or the X-Agent-Id header).",
			"schema": str("")},
		"AgentHeader": obj{"name": "X-Agent-Id", "in": "header", "description": "The agent the MCP session acts for, when the URL does not name it.",
			"schema": str("")},
		"TenantFilter": obj{"name": "tenant", "in": "query", "description": "Only this tenant's keys.",
			"schema": str("")},
		"JobID": path("job_id", "The compaction job's ID (the job_id of a compaction_queued event)."),
		"Limit": obj{"name": "limit", "in": "query", "description": "Page size; default 100.",
			"schema": obj{"type": "integer", "minimum": 1, "maximum": 1000}},
		"Cursor": obj{"name": "cursor", "in": "query", "description": "The next_cursor of the previous page.",
			"schema": str("")},
		"SeqCursor": obj{"name": "cursor", "in": "query", "description": "The next_cursor of the previous page: the seq after which the page starts, in decimal.",
			"schema": obj{"type": "string", "pattern": "^[0-9]+$"}},
		"Format": obj{"name": "format", "in": "query", "description": "The provider whose API shapes the answer.",
			"schema": obj{"type": "string", "enum": []string{"openai", "anthropic"}, "default": "openai"}},
		"IdempotencyKey": obj{"name": "Idempotency-Key", "in": "header",
			"description": "Makes the write safe to retry: a repeat with the same key returns the first 2xx answer.",
			"schema":      obj{"type": "string", "minLength": 1, "maxLength": MaxIdempotencyKeyBytes}},
	}
}

func errorResponses() obj {
	out := obj{}
	for status, desc := range map[int]string{
		400: "invalid_argument: a malformed body, an unknown field, a bad parameter.",
		401: "unauthenticated: a missing or unknown API key.",
		403: "permission_denied: the resource is read-only, the agent's permissions deny the write, or the endpoint needs an admin key.",
		404: "not_found: the agent or resource does not exist (or belongs to another tenant).",
		409: "conflict",
		413: "too_large: the body, or one message, is too large.",
		422: "unprocessable: the request is well-formed but cannot be applied.",
		429: "rate_limited: the API key is over its rate; Retry-After says when to retry.",
		500: "internal: the detail is logged, never answered.",
		503: "unavailable: a store is unreachable or the request timed out.",
	} {
		out[strconv.Itoa(status)] = obj{"description": desc,
			"content": obj{"application/json": obj{"schema": ref("Error")}}}
	}
	return out
}

func (op operation) document() obj {
	o := obj{"operationId": op.id, "summary": op.summary, "tags": []string{op.tag}}
	if len(op.params) > 0 {
		ps := make([]any, len(op.params))
		for i, p := range op.params {
			ps[i] = obj{"$ref": "#/components/parameters/" + p}
		}
		o["parameters"] = ps
	}
	if op.body != "" {
		o["requestBody"] = obj{"required": true,
			"content": obj{"application/json": obj{"schema": ref(op.body)}}}
	}
	ok := obj{"description": http.StatusText(op.status)}
	switch {
	case op.result != "":
		ok["content"] = obj{"application/json": obj{"schema": ref(op.result)}}
	case op.path == "/metrics":
		ok["content"] = obj{"text/plain": obj{"schema": str("")}}
	case op.path == "/openapi.json":
		ok["content"] = obj{"application/json": obj{"schema": obj{"type": "object"}}}
	}
	responses := obj{strconv.Itoa(op.status): ok}
	errs := op.errors
	if strings.HasPrefix(op.path, "/v1/") {
		errs = append(append([]int{}, v1Errors...), errs...)
	} else if op.path != "/metrics" && op.path != "/mcp" {
		o["security"] = []any{} // /healthz, /readyz and /openapi.json need no key
	}
	for _, st := range errs {
		responses[strconv.Itoa(st)] = obj{"$ref": "#/components/responses/" + strconv.Itoa(st)}
	}
	o["responses"] = responses
	return o
}

// openAPIDocument builds the OpenAPI 3.1 document of every route, marshalled once by New.
func openAPIDocument() ([]byte, error) {
	paths := obj{}
	for _, op := range operations {
		item, _ := paths[op.path].(obj)
		if item == nil {
			item = obj{}
			paths[op.path] = item
		}
		item[strings.ToLower(op.method)] = op.document()
	}
	doc := obj{
		"openapi": "3.1.0",
		"info": obj{
			"title":       "memsvc",
			"version":     "v1",
			"description": openAPIDescription,
		},
		"security": []any{obj{"bearerAuth": []string{}}},
		"tags": []any{
			obj{"name": "agents"}, obj{"name": "context", "description": "The main context (the agent's RAM)."},
			obj{"name": "blocks", "description": "Core memory blocks."}, obj{"name": "archival"},
			obj{"name": "recall"}, obj{"name": "tools", "description": "Memory tools: function-call page faults."},
			obj{"name": "security", "description": "API keys, tenants and permissions."},
			obj{"name": "operations"}, obj{"name": "mcp", "description": "The Model Context Protocol."},
		},
		"paths": paths,
		"components": obj{
			"schemas":    schemas(),
			"parameters": parameters(),
			"responses":  errorResponses(),
			"securitySchemes": obj{"bearerAuth": obj{
				"type": "http", "scheme": "bearer",
				"description": "Authorization: Bearer <api key>. Every resource belongs to the key's tenant; " +
					"another tenant's resource answers 404. Without configured keys the server serves loopback clients only.",
			}},
		},
	}
	return json.Marshal(doc)
}
