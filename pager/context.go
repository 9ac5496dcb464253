package pager

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/memsvc/memsvc/state"
)

// Formats a context can be rendered in.
const (
	FormatOpenAI    = "openai"
	FormatAnthropic = "anthropic"
)

// TokenBreakdown is the per-section token account of the main context.
type TokenBreakdown struct {
	System   int `json:"system"`
	Blocks   int `json:"blocks"`
	Tools    int `json:"tools"`
	Summary  int `json:"summary"`
	Messages int `json:"messages"`
	Total    int `json:"total"`
	Window   int `json:"window"`
}

// ContextView is the window to send to the model, shaped for one provider's API.
type ContextView struct {
	// System is the full system text (prompt, blocks and summary); Anthropic takes it apart from
	// the messages, OpenAI as the first message.
	System    string          `json:"system"`
	Messages  []any           `json:"messages"`
	Tokens    TokenBreakdown  `json:"tokens"`
	Pressure  string          `json:"pressure"`
	InContext int             `json:"in_context"`
	Summary   *state.Summary  `json:"summary"`
	Stored    []state.Message `json:"-"`
}

// Context returns an agent's main context, read consistently under the agent's lock.
func (s *Service) Context(ctx context.Context, agentID, format string) (ContextView, error) {
	if format == "" {
		format = FormatOpenAI
	}
	if format != FormatOpenAI && format != FormatAnthropic {
		return ContextView{}, errorf(ErrInvalidArgument, "format must be openai or anthropic, got %q", format)
	}
	var v ContextView
	err := s.cfg.Store.Page(ctx, agentID, func(ctx context.Context, p state.Page) (state.Change, error) {
		a := p.Agent()
		blocks, err := p.Blocks(ctx)
		if err != nil {
			return state.Change{}, err
		}
		msgs, err := p.InContext(ctx)
		if err != nil {
			return state.Change{}, err
		}
		sum, err := p.Summary(ctx)
		if err != nil {
			return state.Change{}, err
		}
		var summaryText string
		if sum != nil {
			summaryText = sum.Text
		}
		v = ContextView{
			System:    joinNonEmpty("\n\n", a.System, RenderBlocks(blocks), renderSummary(summaryText)),
			Summary:   sum,
			Stored:    msgs,
			InContext: len(msgs),
		}
		st := s.contextState(a)
		v.Pressure = st.Pressure
		v.Tokens = TokenBreakdown{
			System: a.Context.SystemTokens, Blocks: a.Context.BlocksTokens, Tools: s.toolTokens(a),
			Summary: a.Context.SummaryTokens, Messages: a.Context.MessageTokens, Total: st.Tokens, Window: a.ContextWindow,
		}
		return state.Change{}, nil
	})
	if err != nil {
		return ContextView{}, agentErr(agentID, err)
	}
	if format == FormatAnthropic {
		v.Messages = anthropicMessages(v.Stored)
	} else {
		v.Messages = openAIMessages(v.System, v.Stored)
	}
	return v, nil
}

func joinNonEmpty(sep string, parts ...string) string {
	var keep []string
	for _, p := range parts {
		if p != "" {
			keep = append(keep, p)
		}
	}
	return strings.Join(keep, sep)
}

func openAIMessages(system string, msgs []state.Message) []any {
	out := make([]any, 0, len(msgs)+1)
	if system != "" {
		out = append(out, map[string]any{"role": "system", "content": system})
	}
	for _, m := range msgs {
		o := map[string]any{"role": m.Role, "content": m.Content}
		if m.Name != "" {
			o["name"] = m.Name
		}
		if len(m.ToolCalls) > 0 {
			o["tool_calls"] = m.ToolCalls
		}
		if m.ToolCallID != "" {
			o["tool_call_id"] = m.ToolCallID
		}
		out = append(out, o)
	}
	return out
}

// openAIToolCall is the OpenAI shape of one tool call, read to convert it to Anthropic's.
type openAIToolCall struct {
	ID       string `json:"id"`
	Function struct {
		Name      string `json:"name"`
		Arguments string `json:"arguments"`
	} `json:"function"`
}

// anthropicMessages maps stored messages to Anthropic's Messages API: only user and assistant
// roles; tool calls become tool_use blocks and tool results user tool_result blocks; mid-
// conversation system messages (such as memory-pressure warnings) become user text.
func anthropicMessages(msgs []state.Message) []any {
	out := make([]any, 0, len(msgs))
	for _, m := range msgs {
		switch m.Role {
		case "assistant":
			var content []any
			if m.Content != "" {
				content = append(content, map[string]any{"type": "text", "text": m.Content})
			}
			var calls []openAIToolCall
			_ = json.Unmarshal(m.ToolCalls, &calls)
			for _, c := range calls {
				var input any = map[string]any{}
				if c.Function.Arguments != "" {
					_ = json.Unmarshal([]byte(c.Function.Arguments), &input)
				}
				content = append(content, map[string]any{"type": "tool_use", "id": c.ID, "name": c.Function.Name, "input": input})
			}
			out = append(out, map[string]any{"role": "assistant", "content": content})
		case "tool":
			out = append(out, map[string]any{"role": "user", "content": []any{
				map[string]any{"type": "tool_result", "tool_use_id": m.ToolCallID, "content": m.Content},
			}})
		case "system":
			out = append(out, map[string]any{"role": "user", "content": "[system] " + m.Content})
		default:
			out = append(out, map[string]any{"role": "user", "content": m.Content})
		}
	}
	return out
}

// History returns an agent's full message history (in context and evicted), oldest first, with
// seq > afterSeq. next is the afterSeq of the following page, or 0 at the end.
func (s *Service) History(ctx context.Context, agentID string, afterSeq int64, limit int) ([]state.Message, int64, error) {
	if limit == 0 {
		limit = 100
	}
	if limit < 0 || limit > 1000 {
		return nil, 0, errorf(ErrInvalidArgument, "limit must be in [1, 1000], got %d", limit)
	}
	if _, err := s.cfg.Store.GetAgent(ctx, agentID); err != nil {
		return nil, 0, agentErr(agentID, err)
	}
	msgs, err := s.cfg.Store.ListMessages(ctx, agentID, afterSeq, limit+1)
	if err != nil {
		return nil, 0, err
	}
	var next int64
	if len(msgs) > limit {
		msgs = msgs[:limit]
		next = msgs[limit-1].Seq
	}
	return msgs, next, nil
}
