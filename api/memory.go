package api

import (
	"context"

	"github.com/memsvc/memsvc/archival"
	"github.com/memsvc/memsvc/pager"
	"github.com/memsvc/memsvc/state"
)

// Memory is what the API calls on the memory domain; *pager.Service implements it.
//
// Every method takes the request's context first. Errors a caller caused are *pager.Error values
// whose Kind is one of pager.ErrInvalidArgument, ErrNotFound (an unknown agent, block or passage),
// ErrReadOnly, ErrTooLarge, ErrUnprocessable or ErrConflict, and whose message is safe to show.
// Anything else (a store failure, a cancelled context) is an internal error; the API logs it and
// answers a generic message.
type Memory interface {
	// CreateAgent validates spec and stores a new agent with its blocks.
	CreateAgent(ctx context.Context, spec pager.AgentSpec) (pager.AgentView, error)
	// GetAgent returns an agent with its blocks and context state; ErrNotFound if it does not exist.
	GetAgent(ctx context.Context, id string) (pager.AgentView, error)
	// ListAgents lists agents oldest first; next is "" on the last page. ErrInvalidArgument for a
	// bad limit or cursor.
	ListAgents(ctx context.Context, opts state.ListOptions) (agents []state.Agent, next string, err error)
	// UpdateAgent applies a patch; nil fields stay as they are.
	UpdateAgent(ctx context.Context, id string, patch pager.AgentPatch) (pager.AgentView, error)
	// DeleteAgent removes an agent and every memory it has.
	DeleteAgent(ctx context.Context, id string) error
	// ExportAgent returns an agent's portable copy (ErrUnprocessable when the archival store
	// cannot list passages); ImportAgent stores one for the caller's tenant, with its IDs
	// (ErrConflict when the agent ID exists).
	ExportAgent(ctx context.Context, id string) (pager.Export, error)
	ImportAgent(ctx context.Context, doc pager.Export) (pager.AgentView, error)
	// ImportLetta imports a Letta Agent File (.af) as a new agent (see pager.ImportLetta).
	ImportLetta(ctx context.Context, data []byte) (pager.AgentView, error)

	// Append adds messages as one paging step. ErrTooLarge for a message that cannot fit the window.
	Append(ctx context.Context, agentID string, in []pager.MessageInput) (pager.AppendResult, error)
	// Context returns the main context shaped for format ("openai" or "anthropic", "" for openai).
	Context(ctx context.Context, agentID, format string) (pager.ContextView, error)
	// History returns messages with seq > afterSeq, oldest first; next is the afterSeq of the
	// following page, 0 at the end. A limit of 0 takes the default.
	History(ctx context.Context, agentID string, afterSeq int64, limit int) (msgs []state.Message, next int64, err error)

	// Stats returns the size of an agent's memory (messages, evicted, passages, context).
	Stats(ctx context.Context, agentID string) (pager.AgentStats, error)

	// ListSummaries returns an agent's summaries, oldest first.
	ListSummaries(ctx context.Context, agentID string) ([]state.Summary, error)

	// ListBlocks returns an agent's blocks ordered by label; GetBlock one of them.
	ListBlocks(ctx context.Context, agentID string) ([]state.Block, error)
	GetBlock(ctx context.Context, agentID, label string) (state.Block, error)
	// PutBlock creates or replaces a block: ErrReadOnly for a read-only block, ErrUnprocessable for
	// a value over its limit.
	PutBlock(ctx context.Context, agentID, label string, in pager.BlockInput) (state.Block, error)

	// InsertPassage stores a passage in archival memory; GetPassage and DeletePassage answer
	// ErrNotFound for an unknown passage.
	InsertPassage(ctx context.Context, agentID string, in pager.PassageInput) (archival.Passage, error)
	GetPassage(ctx context.Context, agentID, id string) (archival.Passage, error)
	// InsertPassages stores up to pager.MaxBatchPassages passages in one atomic write: all or,
	// on any error, none.
	InsertPassages(ctx context.Context, agentID string, in []pager.PassageInput) ([]archival.Passage, error)
	DeletePassage(ctx context.Context, agentID, id string) error
	// Invalidate marks a passage no longer true; Restore undoes it (ErrConflict when the passage is
	// valid); PassageHistory lists its validity changes, oldest first.
	Invalidate(ctx context.Context, agentID, id, reason, supersededBy string) (archival.Passage, error)
	Restore(ctx context.Context, agentID, id string) (archival.Passage, error)
	PassageHistory(ctx context.Context, agentID, id string) ([]archival.Event, error)
	// SearchArchival and SearchRecall return hits best first.
	SearchArchival(ctx context.Context, agentID string, q pager.ArchivalQuery) ([]pager.ArchivalHit, error)
	SearchRecall(ctx context.Context, agentID string, q pager.RecallQuery) ([]pager.RecallHit, error)
	// PendingVectors counts the agent's messages that recall search matches by words only.
	PendingVectors(ctx context.Context, agentID string) (int, error)

	// CallTool runs one memory tool. A bad argument, or a tool the agent's permissions deny, is a
	// result with IsError, not an error.
	CallTool(ctx context.Context, agentID string, call pager.ToolCall) (pager.ToolResult, error)

	// The REST writes that match a tool (PutBlock, UndoBlock, InsertPassage, DeletePassage,
	// Invalidate, Restore) answer ErrPermissionDenied when the agent's permissions deny it.
	// AgentPermissions shows the policies that apply to an agent; TenantPermissions and
	// SetTenantPermissions read and replace a tenant's (for admin keys).
	AgentPermissions(ctx context.Context, agentID string) (pager.PermissionsView, error)
	TenantPermissions(ctx context.Context, tenant string) (state.Permissions, error)
	SetTenantPermissions(ctx context.Context, tenant string, p state.Permissions) (state.Permissions, error)

	// Shared blocks: CreateSharedBlock and GetSharedBlock (ErrNotFound for another tenant's);
	// AttachBlock (ErrConflict for a label the agent has) and DetachBlock; BlockHistory and
	// UndoBlock (ErrConflict when there is nothing to undo).
	CreateSharedBlock(ctx context.Context, in pager.SharedBlockInput) (state.SharedBlock, error)
	GetSharedBlock(ctx context.Context, id string) (state.SharedBlock, error)
	AttachBlock(ctx context.Context, agentID string, in pager.AttachInput) (state.Block, error)
	DetachBlock(ctx context.Context, agentID, blockID string) error
	BlockHistory(ctx context.Context, agentID, label string) ([]state.BlockEvent, error)
	UndoBlock(ctx context.Context, agentID, label string) (state.Block, error)
}
