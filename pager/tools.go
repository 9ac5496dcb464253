package pager

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/memsvc/memsvc/archival"
	"github.com/memsvc/memsvc/state"
)

// Tool-call paging and limits.
const (
	ToolPageSize       = 5
	MaxToolContentSize = 5000
	MaxToolNameBytes   = 64
	MaxCallIDBytes     = 128
)

// isTool reports whether name is one of the memory tools.
func isTool(name string) bool {
	for _, d := range ToolDefs {
		if d.Name == name {
			return true
		}
	}
	return false
}

// ToolDef is one memory tool's definition: a name, what it does and a JSON Schema of its arguments.
type ToolDef struct {
	Name        string         `json:"name"`
	Description string         `json:"description"`
	Parameters  map[string]any `json:"parameters"`
}

func obj(required []string, props map[string]any) map[string]any {
	if required == nil {
		required = []string{}
	}
	return map[string]any{"type": "object", "properties": props, "required": required, "additionalProperties": false}
}

func str(desc string) map[string]any { return map[string]any{"type": "string", "description": desc} }

var pageArg = map[string]any{"type": "integer", "minimum": 0, "description": "Result page, from 0."}

// ToolDefs are the memory tools memsvc serves: the agent's page faults and its memory writes.
var ToolDefs = []ToolDef{
	{"archival_memory_insert", "Store a fact in archival memory (long-term, searchable). Give a key like 'alice/city' for a single-valued fact, so a newer value supersedes the old one.",
		obj([]string{"content"}, map[string]any{
			"content":    str("The fact to remember, as a self-contained sentence."),
			"key":        str("Optional slot of a single-valued fact, e.g. 'alice/city'."),
			"valid_from": str("Optional RFC 3339 time when the fact became true."),
			"tags":       map[string]any{"type": "array", "items": map[string]any{"type": "string"}, "description": "Optional tags."},
			"context":    str(fmt.Sprintf("Optional text that situates the fact, such as the question it answers; searched with it, at most %d KiB.", MaxContextBytes>>10)),
		})},
	{"archival_memory_search", "Search archival memory by meaning and keywords. Results show whether each memory is still valid.",
		obj([]string{"query"}, map[string]any{"query": str("What to look for."), "page": pageArg})},
	{"conversation_search", "Search the whole conversation history, including messages evicted from the context.",
		obj([]string{"query"}, map[string]any{"query": str("What to look for."), "page": pageArg})},
	{"core_memory_append", "Append text to a core memory block (always in context).",
		obj([]string{"label", "content"}, map[string]any{"label": str("The block's label."), "content": str("Text to append.")})},
	{"core_memory_replace", "Replace text in a core memory block. old_content must appear in the block exactly.",
		obj([]string{"label", "old_content", "new_content"}, map[string]any{
			"label": str("The block's label."), "old_content": str("Exact text to replace."),
			"new_content": str("Replacement text; empty deletes old_content."),
		})},
	{"memory_invalidate", "Mark an archival memory as no longer true, optionally naming the memory that replaces it.",
		obj([]string{"passage_id", "reason"}, map[string]any{
			"passage_id": str("ID of the archival memory to invalidate."), "reason": str("Why it is no longer true."),
			"superseded_by": str("Optional ID of the memory that replaces it."),
		})},
}

// Tools returns the tool definitions shaped for a provider: OpenAI's function tools or
// Anthropic's tools with input_schema.
func Tools(format string) ([]any, error) {
	out := make([]any, len(ToolDefs))
	for i, d := range ToolDefs {
		switch format {
		case "", FormatOpenAI:
			out[i] = map[string]any{"type": "function", "function": map[string]any{
				"name": d.Name, "description": d.Description, "parameters": d.Parameters}}
		case FormatAnthropic:
			out[i] = map[string]any{"name": d.Name, "description": d.Description, "input_schema": d.Parameters}
		default:
			return nil, errorf(ErrInvalidArgument, "format must be openai or anthropic, got %q", format)
		}
	}
	return out, nil
}

var toolTokenCache sync.Map // encoding name -> int

// toolTokens is what the tool definitions cost in the agent's context, in its model's encoding:
// nothing when the agent does not hand them to its model.
func (s *Service) toolTokens(a state.Agent) int {
	if !a.ToolsInContext {
		return 0
	}
	model := a.Model
	enc := EncodingFor(model)
	if n, ok := toolTokenCache.Load(enc); ok {
		return n.(int)
	}
	c, err := s.tokens.Counter(model)
	if err != nil {
		return 0
	}
	defs, _ := Tools(FormatOpenAI)
	b, _ := json.Marshal(defs)
	n := c.Count(string(b))
	toolTokenCache.Store(enc, n)
	return n
}

// ToolCall is a call of one memory tool. Arguments may be a JSON object or, as OpenAI sends them,
// a string holding one.
type ToolCall struct {
	Name      string          `json:"name"`
	Arguments json.RawMessage `json:"arguments"`
	CallID    string          `json:"call_id,omitempty"`
	Record    bool            `json:"record,omitempty"`
}

// ToolResult is what a tool call returns: text for the model, data for the program.
type ToolResult struct {
	Content  string        `json:"content"`
	Data     any           `json:"data"`
	IsError  bool          `json:"is_error"`
	Recorded *AppendResult `json:"recorded,omitempty"`
}

// toolError is a problem the model caused and can fix; it becomes tool content, not an HTTP error.
type toolError struct{ msg string }

func (e toolError) Error() string { return e.msg }

func toolErrorf(format string, args ...any) error { return toolError{fmt.Sprintf(format, args...)} }

// CallTool executes one memory tool for an agent. Bad arguments come back as content that tells the
// model what to fix (IsError); a missing agent is an error.
//
// The agent's permissions are enforced here, not left to the model: a tool its tenant's or its
// own policy denies answers content saying so (IsError), and nothing runs.
func (s *Service) CallTool(ctx context.Context, agentID string, call ToolCall) (ToolResult, error) {
	switch {
	case len(call.Name) > MaxToolNameBytes:
		return ToolResult{}, errorf(ErrInvalidArgument, "name is longer than %d bytes", MaxToolNameBytes)
	case len(call.CallID) > MaxCallIDBytes:
		return ToolResult{}, errorf(ErrInvalidArgument, "call_id is longer than %d bytes", MaxCallIDBytes)
	case checkText("call_id", call.CallID) != nil:
		return ToolResult{}, checkText("call_id", call.CallID)
	}
	a, err := s.agentFor(ctx, agentID, "")
	if err != nil {
		return ToolResult{}, err
	}
	var res ToolResult
	if isTool(call.Name) {
		err = s.permit(ctx, a, call.Name)
	}
	if err == nil {
		res, err = s.dispatch(ctx, agentID, call)
	}
	var te toolError
	var de *Error
	switch {
	case errors.As(err, &te):
		res = ToolResult{Content: "Error: " + te.msg, IsError: true, Data: map[string]any{"error": te.msg}}
	case errors.As(err, &de) && errors.Is(err, ErrPermissionDenied):
		res = ToolResult{Content: "Error: " + de.Msg + ". Do not retry this tool.", IsError: true,
			Data: map[string]any{"error": de.Msg, "permission_denied": true}}
	case errors.As(err, &de):
		res = ToolResult{Content: "Error: " + de.Msg, IsError: true, Data: map[string]any{"error": de.Msg}}
	case err != nil:
		return ToolResult{}, err
	}
	if len(res.Content) > MaxToolContentSize {
		cut := MaxToolContentSize
		for cut > 0 && !utf8.RuneStart(res.Content[cut]) {
			cut-- // never split a character
		}
		res.Content = res.Content[:cut] + "… [truncated]"
	}
	if call.Record {
		rec, err := s.recordToolCall(ctx, agentID, call, res.Content)
		if err != nil {
			return ToolResult{}, err
		}
		res.Recorded = &rec
	}
	return res, nil
}

func (s *Service) recordToolCall(ctx context.Context, agentID string, call ToolCall, content string) (AppendResult, error) {
	id := call.CallID
	if id == "" {
		id = state.NewID("call")
	}
	args := string(normalizeArgs(call.Arguments))
	calls, _ := json.Marshal([]any{map[string]any{"id": id, "type": "function",
		"function": map[string]any{"name": call.Name, "arguments": args}}})
	return s.Append(ctx, agentID, []MessageInput{
		{Role: "assistant", ToolCalls: calls},
		{Role: "tool", ToolCallID: id, Content: content},
	})
}

// normalizeArgs unwraps arguments sent as a JSON string; empty becomes {}.
func normalizeArgs(raw json.RawMessage) json.RawMessage {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return json.RawMessage("{}")
	}
	if raw[0] == '"' {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return json.RawMessage(s)
		}
	}
	return raw
}

// decodeArgs decodes arguments strictly into v, naming the problem for the model.
func decodeArgs(raw json.RawMessage, v any) error {
	dec := json.NewDecoder(bytes.NewReader(normalizeArgs(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var ute *json.UnmarshalTypeError
		if errors.As(err, &ute) {
			return toolErrorf("argument %q has the wrong type: want %s", ute.Field, ute.Type)
		}
		if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			return toolErrorf("unknown argument %s", f)
		}
		return toolErrorf("arguments must be a JSON object: %v", err)
	}
	return nil
}

func required(name, v string) error {
	if strings.TrimSpace(v) == "" {
		return toolErrorf("argument %q is required", name)
	}
	return nil
}

func (s *Service) dispatch(ctx context.Context, agentID string, call ToolCall) (ToolResult, error) {
	switch call.Name {
	case "archival_memory_insert":
		var a struct {
			Content   string   `json:"content"`
			Key       string   `json:"key"`
			ValidFrom string   `json:"valid_from"`
			Tags      []string `json:"tags"`
			Context   string   `json:"context"`
		}
		if err := decodeArgs(call.Arguments, &a); err != nil {
			return ToolResult{}, err
		}
		if err := required("content", a.Content); err != nil {
			return ToolResult{}, err
		}
		in := PassageInput{Text: a.Content, Key: a.Key, Tags: a.Tags, Context: a.Context, Source: archival.SourceAgent}
		if a.ValidFrom != "" {
			t, err := time.Parse(time.RFC3339, a.ValidFrom)
			if err != nil {
				return ToolResult{}, toolErrorf("valid_from must be an RFC 3339 time such as 2025-06-01T00:00:00Z, got %q", a.ValidFrom)
			}
			in.ValidFrom = &t
		}
		p, err := s.InsertPassage(ctx, agentID, in)
		if err != nil {
			return ToolResult{}, err
		}
		return ToolResult{Content: "Stored in archival memory as " + p.ID + ".", Data: p}, nil
	case "archival_memory_search", "conversation_search":
		var a struct {
			Query string `json:"query"`
			Page  int    `json:"page"`
		}
		if err := decodeArgs(call.Arguments, &a); err != nil {
			return ToolResult{}, err
		}
		if err := required("query", a.Query); err != nil {
			return ToolResult{}, err
		}
		if a.Page < 0 || (a.Page+1)*ToolPageSize > MaxK {
			return ToolResult{}, toolErrorf("page must be in [0, %d], got %d", MaxK/ToolPageSize-1, a.Page)
		}
		if call.Name == "conversation_search" {
			return s.conversationSearchTool(ctx, agentID, a.Query, a.Page)
		}
		return s.archivalSearchTool(ctx, agentID, a.Query, a.Page)
	case "core_memory_append":
		var a struct {
			Label   string `json:"label"`
			Content string `json:"content"`
		}
		if err := decodeArgs(call.Arguments, &a); err != nil {
			return ToolResult{}, err
		}
		if err := errors.Join(required("label", a.Label), required("content", a.Content)); err != nil {
			return ToolResult{}, toolErrorf("%v", err)
		}
		b, err := s.editBlock(ctx, agentID, a.Label, blockEdit{cause: call.Name}, func(b *state.Block, _ bool) error {
			if b.ReadOnly {
				return toolErrorf("block %q is read-only", a.Label)
			}
			if b.Value == "" {
				b.Value = a.Content
			} else {
				b.Value += "\n" + a.Content
			}
			return nil
		})
		if err != nil {
			return ToolResult{}, err
		}
		return ToolResult{Content: fmt.Sprintf("Appended to block %q; it now holds %d of %d characters.", b.Label, len([]rune(b.Value)), b.Limit), Data: b}, nil
	case "core_memory_replace":
		var a struct {
			Label      string `json:"label"`
			OldContent string `json:"old_content"`
			NewContent string `json:"new_content"`
		}
		if err := decodeArgs(call.Arguments, &a); err != nil {
			return ToolResult{}, err
		}
		if err := errors.Join(required("label", a.Label), required("old_content", a.OldContent)); err != nil {
			return ToolResult{}, toolErrorf("%v", err)
		}
		b, err := s.editBlock(ctx, agentID, a.Label, blockEdit{cause: call.Name}, func(b *state.Block, _ bool) error {
			if b.ReadOnly {
				return toolErrorf("block %q is read-only", a.Label)
			}
			if !strings.Contains(b.Value, a.OldContent) {
				return toolErrorf("old_content does not appear in block %q; copy it exactly from the block", a.Label)
			}
			b.Value = strings.Replace(b.Value, a.OldContent, a.NewContent, 1)
			return nil
		})
		if err != nil {
			return ToolResult{}, err
		}
		return ToolResult{Content: fmt.Sprintf("Replaced text in block %q.", b.Label), Data: b}, nil
	case "memory_invalidate":
		var a struct {
			PassageID    string `json:"passage_id"`
			Reason       string `json:"reason"`
			SupersededBy string `json:"superseded_by"`
		}
		if err := decodeArgs(call.Arguments, &a); err != nil {
			return ToolResult{}, err
		}
		if err := errors.Join(required("passage_id", a.PassageID), required("reason", a.Reason)); err != nil {
			return ToolResult{}, toolErrorf("%v", err)
		}
		// The agent's authority: it cannot overrule a user-asserted memory on its own.
		p, err := s.invalidate(ctx, agentID, a.PassageID, a.Reason, a.SupersededBy, archival.SourceAgent)
		if err != nil {
			return ToolResult{}, err
		}
		if p.Status == archival.StatusValid && p.PossiblySupersededBy != "" {
			return ToolResult{Content: fmt.Sprintf("Memory %s was asserted by the user, so it stays valid; it is flagged as possibly superseded by %s for review.",
				p.ID, p.PossiblySupersededBy), Data: p}, nil
		}
		return ToolResult{Content: fmt.Sprintf("Memory %s is now %s.", p.ID, p.Status), Data: p}, nil
	}
	names := make([]string, len(ToolDefs))
	for i, d := range ToolDefs {
		names[i] = d.Name
	}
	return ToolResult{}, toolErrorf("unknown tool %q; the memory tools are %s", call.Name, strings.Join(names, ", "))
}
