package pager

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/memsvc/memsvc/archival"
	"github.com/memsvc/memsvc/state"
)

// Letta Agent Files (.af) are imported by mapping them onto an Export (ImportLetta). Both
// layouts Letta has published are read:
//
//   - the agent file of Letta's AgentFileSchema: {"agents": [...], "blocks": [...], "files",
//     "sources", "tools", "mcp_servers", "groups", "metadata"}; the agent names its blocks
//     (block_ids), carries its messages and in_context_message_ids;
//   - the earlier single-agent file: {"name", "system", "core_memory": [...], "messages": [...],
//     "in_context_message_indices", "llm_config", "tags", "agent_type", ...}.
//
// The mapping (README, "Import and export"):
//   - name, system → the agent's; llm_config.context_window → context_window (clamped to what
//     memsvc allows). The model is not mapped (it names memsvc's tokenizer); it, the agent's
//     Letta ID, type, description and tags go to metadata.letta.
//   - core memory blocks → blocks (label, value, limit, description, read_only); a label memsvc
//     does not allow is lower-cased with other characters as '_'; a limit below the value's length
//     is raised to it.
//   - messages → the history in their order, with their created_at; roles user, assistant,
//     system, tool (Letta's function → tool); the text parts of a content list are joined, other
//     parts (reasoning, images) dropped; OpenAI-shaped tool_calls and tool_call_id kept. A leading
//     system message (Letta's compiled system prompt) is dropped: the agent's system is the
//     prompt. Messages before the last one outside the context are imported as evicted
//     (searchable through recall), the rest as in context.
//   - archival passages: Letta keeps them in its database and its agent files carry none by
//     default; a "passages" list (Letta's Passage: text, created_at, tags, metadata), at the top
//     or in the agent, is imported with source import.
//   - not mapped: tools, tool rules, files and sources, groups, MCP servers, embedding and LLM
//     settings (memsvc's own embedder embeds everything again).

type lettaFile struct {
	// AgentFileSchema.
	Agents []lettaAgent `json:"agents"`
	Blocks []lettaBlock `json:"blocks"`
	// The earlier single-agent file: the agent's fields at the top.
	lettaAgent
	CoreMemory              []lettaBlock `json:"core_memory"`
	InContextMessageIndices []int        `json:"in_context_message_indices"`
}

type lettaAgent struct {
	ID                  string          `json:"id"`
	Name                string          `json:"name"`
	System              string          `json:"system"`
	Description         string          `json:"description"`
	AgentType           string          `json:"agent_type"`
	Tags                json.RawMessage `json:"tags"`
	BlockIDs            []string        `json:"block_ids"`
	InContextMessageIDs []string        `json:"in_context_message_ids"`
	Messages            []lettaMessage  `json:"messages"`
	LLMConfig           struct {
		Model         string `json:"model"`
		ContextWindow int    `json:"context_window"`
	} `json:"llm_config"`
	Passages []lettaPassage `json:"passages"`
}

type lettaBlock struct {
	ID          string  `json:"id"`
	Label       string  `json:"label"`
	Value       string  `json:"value"`
	Limit       int     `json:"limit"`
	Description *string `json:"description"`
	ReadOnly    bool    `json:"read_only"`
}

type lettaMessage struct {
	ID         string          `json:"id"`
	Role       string          `json:"role"`
	Content    json.RawMessage `json:"content"`
	Name       *string         `json:"name"`
	ToolCalls  json.RawMessage `json:"tool_calls"`
	ToolCallID *string         `json:"tool_call_id"`
	CreatedAt  string          `json:"created_at"`
}

type lettaPassage struct {
	Text      string         `json:"text"`
	CreatedAt string         `json:"created_at"`
	Tags      []string       `json:"tags"`
	Metadata  map[string]any `json:"metadata"`
}

var lettaLabelRE = regexp.MustCompile(`[^a-z0-9_.-]`)

// ImportLetta imports a Letta Agent File (.af) as a new agent of the caller's tenant (see the
// mapping above). A file with several agents is refused: import one at a time.
func (s *Service) ImportLetta(ctx context.Context, data []byte) (AgentView, error) {
	doc, err := s.lettaExport(data)
	if err != nil {
		return AgentView{}, err
	}
	return s.ImportAgent(ctx, doc)
}

func (s *Service) lettaExport(data []byte) (Export, error) {
	var f lettaFile
	if err := json.Unmarshal(data, &f); err != nil {
		return Export{}, errorf(ErrInvalidArgument, "not a Letta agent file: %v", err)
	}
	a, blocks := f.lettaAgent, f.CoreMemory
	inContext := map[int]bool{}
	for _, i := range f.InContextMessageIndices {
		inContext[i] = true
	}
	switch {
	case len(f.Agents) > 1:
		return Export{}, errorf(ErrInvalidArgument, "the agent file holds %d agents; memsvc imports one agent per file", len(f.Agents))
	case len(f.Agents) == 1:
		a = f.Agents[0]
		byID := map[string]lettaBlock{}
		for _, b := range f.Blocks {
			byID[b.ID] = b
		}
		blocks = nil
		for _, id := range a.BlockIDs {
			b, ok := byID[id]
			if !ok {
				return Export{}, errorf(ErrInvalidArgument, "agent block %q is not among the file's blocks", id)
			}
			blocks = append(blocks, b)
		}
		ids := map[string]bool{}
		for _, id := range a.InContextMessageIDs {
			ids[id] = true
		}
		for i, m := range a.Messages {
			if ids[m.ID] {
				inContext[i] = true
			}
		}
	case f.Name == "" && len(f.CoreMemory) == 0 && len(f.Messages) == 0:
		return Export{}, errorf(ErrInvalidArgument, "not a Letta agent file: no agents, core_memory or messages")
	}
	now := s.now().UTC()
	meta := map[string]any{"id": a.ID, "agent_type": a.AgentType, "description": a.Description, "model": a.LLMConfig.Model}
	if len(a.Tags) > 0 && string(a.Tags) != "null" {
		meta["tags"] = a.Tags
	}
	metadata, _ := json.Marshal(map[string]any{"letta": meta})
	window := a.LLMConfig.ContextWindow
	if window == 0 {
		window = DefaultContextWindow
	}
	window = min(max(window, MinContextWindow), MaxContextWindow)
	agent := state.Agent{ID: state.NewID("ag"), Name: strings.TrimSpace(a.Name), System: a.System, ContextWindow: window,
		Pager: DefaultPager, ToolsInContext: true, Metadata: metadata, CreatedAt: now, UpdatedAt: now}
	if len([]rune(agent.Name)) > MaxNameChars {
		agent.Name = string([]rune(agent.Name)[:MaxNameChars])
	}
	doc := Export{Format: ExportFormat, Version: ExportVersion, ExportedAt: now, Agent: agent,
		Blocks: []state.Block{}, Messages: []state.Message{}, Summaries: []state.Summary{}, Passages: []ExportPassage{}}
	for _, b := range blocks {
		label := lettaLabelRE.ReplaceAllString(strings.ToLower(b.Label), "_")
		blk := state.Block{Label: label, Value: b.Value, Limit: max(b.Limit, len([]rune(b.Value))), ReadOnly: b.ReadOnly}
		if b.Description != nil {
			blk.Description = *b.Description
		}
		if blk.Limit > MaxBlockLimit {
			return Export{}, errorf(ErrUnprocessable, "block %q holds more than %d characters", b.Label, MaxBlockLimit)
		}
		doc.Blocks = append(doc.Blocks, blk)
	}
	c, err := s.tokens.Counter("")
	if err != nil {
		return Export{}, err
	}
	lastOut := -1 // the last message outside the context: it and those before are evicted
	for i := range a.Messages {
		if !inContext[i] && (len(inContext) > 0) {
			lastOut = i
		}
	}
	var seq int64
	for i, m := range a.Messages {
		role := m.Role
		if role == "function" {
			role = "tool"
		}
		if !roles[role] {
			continue // approvals and other Letta-only roles
		}
		text, err := lettaText(m.Content)
		if err != nil {
			return Export{}, errorf(ErrInvalidArgument, "messages[%d]: %v", i, err)
		}
		if i == 0 && role == "system" {
			continue // Letta's compiled system prompt
		}
		seq++
		msg := state.Message{ID: state.NewID("msg"), Seq: seq, Role: role, Content: text, InContext: i > lastOut,
			Tokens: c.Count(text), CreatedAt: now}
		if t, err := time.Parse(time.RFC3339Nano, m.CreatedAt); err == nil {
			msg.CreatedAt = t.UTC()
		} else if t, err := time.Parse("2006-01-02T15:04:05.999999", m.CreatedAt); err == nil {
			msg.CreatedAt = t.UTC()
		}
		if m.Name != nil {
			msg.Name = *m.Name
		}
		if m.ToolCallID != nil {
			msg.ToolCallID = *m.ToolCallID
		}
		if len(m.ToolCalls) > 0 && string(m.ToolCalls) != "null" && string(m.ToolCalls) != "[]" {
			msg.ToolCalls = m.ToolCalls
		}
		doc.Messages = append(doc.Messages, msg)
		if msg.InContext {
			doc.Counters.InContext++
			doc.Counters.MessageTokens += msg.Tokens
		}
	}
	doc.Counters.LastSeq = seq
	passages := a.Passages
	if len(f.Agents) == 1 {
		passages = append(f.lettaAgent.Passages, a.Passages...) // the file's own, then the agent's
	}
	for _, p := range passages {
		ep := ExportPassage{Passage: archival.Passage{ID: newPassageID(), Text: strings.TrimSpace(p.Text), CreatedAt: now,
			Status: archival.StatusValid, Source: archival.SourceImport, Tags: p.Tags, Metadata: p.Metadata}}
		if t, err := time.Parse(time.RFC3339Nano, p.CreatedAt); err == nil {
			ep.CreatedAt = t.UTC()
		}
		ep.ValidFrom = ep.CreatedAt
		doc.Passages = append(doc.Passages, ep)
	}
	return doc, nil
}

// lettaText returns a message's text: a string, or the text parts of a content list joined.
func lettaText(raw json.RawMessage) (string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, nil
	}
	var parts []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	if err := json.Unmarshal(raw, &parts); err != nil {
		return "", fmt.Errorf("content is neither text nor a list of parts")
	}
	var texts []string
	for _, p := range parts {
		if p.Type == "text" || p.Type == "" {
			texts = append(texts, p.Text)
		}
	}
	return strings.Join(texts, "\n"), nil
}
