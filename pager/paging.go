package pager

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/memsvc/memsvc/state"
)

// Limits on one append.
const (
	MaxMessagesPerAppend = 256
	MaxContentBytes      = 1 << 20
)

// MessageInput is one message a client appends (OpenAI shapes for tool calls).
type MessageInput struct {
	Role       string          `json:"role"`
	Content    string          `json:"content"`
	Name       string          `json:"name,omitempty"`
	ToolCalls  json.RawMessage `json:"tool_calls,omitempty"`
	ToolCallID string          `json:"tool_call_id,omitempty"`
	Pinned     bool            `json:"pinned,omitempty"`
}

// Event types reported by Append.
const (
	EventMemoryPressure   = "memory_pressure"
	EventEvicted          = "evicted"
	EventSummarized       = "summarized"
	EventCompactionQueued = "compaction_queued"
)

// Event is something the pager did during an append.
type Event struct {
	Type       string `json:"type"`
	Count      int    `json:"count,omitempty"`
	ThroughSeq int64  `json:"through_seq,omitempty"`
	SummaryID  string `json:"summary_id,omitempty"`
	JobID      string `json:"job_id,omitempty"`
	Tokens     int    `json:"tokens,omitempty"`
}

// ContextState is the short account of an agent's context that every append returns.
type ContextState struct {
	Tokens    int    `json:"tokens"`
	Window    int    `json:"window"`
	Pressure  string `json:"pressure"`
	InContext int    `json:"in_context"`
}

// AppendResult is the answer to an append.
type AppendResult struct {
	Messages []state.Message `json:"messages"`
	Context  ContextState    `json:"context"`
	Events   []Event         `json:"events"`
}

// summaryBudget is the most tokens a running summary may take: an eighth of the window, which
// leaves the messages most of the room while keeping a recursive summary of useful length.
//
// The budget is reserved whatever the current summary holds: a compaction job replaces the summary
// in the background, after the eviction that queued it, so the paging rule counts the summary at
// its budget (see step). The context then never exceeds the window when a summary lands, and the
// newest summary may lag the evictions by the time its job takes; until it lands the evicted
// messages are in recall storage, searchable at once.
func summaryBudget(window int) int { return window / 8 }

// SummaryBudget is the most tokens a running summary of an agent with this window may take.
func SummaryBudget(window int) int { return summaryBudget(window) }

func (s *Service) fixedTokens(a state.Agent) int {
	return a.Context.SystemTokens + a.Context.BlocksTokens + s.toolTokens(a)
}

func (s *Service) contextState(a state.Agent) ContextState {
	total := s.fixedTokens(a) + a.Context.SummaryTokens + a.Context.MessageTokens
	return ContextState{Tokens: total, Window: a.ContextWindow, Pressure: pressure(a, total), InContext: a.Context.InContext}
}

func pressure(a state.Agent, total int) string {
	if float64(total) >= a.Pager.WarnRatio*float64(a.ContextWindow) {
		return "warn"
	}
	return "ok"
}

var roles = map[string]bool{"user": true, "assistant": true, "system": true, "tool": true}

func validateMessages(in []MessageInput) error {
	if len(in) == 0 {
		return errorf(ErrInvalidArgument, "messages must hold at least one message")
	}
	if len(in) > MaxMessagesPerAppend {
		return errorf(ErrTooLarge, "at most %d messages per request, got %d", MaxMessagesPerAppend, len(in))
	}
	for i, m := range in {
		switch {
		case !roles[m.Role]:
			return errorf(ErrInvalidArgument, "messages[%d].role must be user, assistant, system or tool, got %q", i, m.Role)
		case len(m.Content) > MaxContentBytes:
			return errorf(ErrTooLarge, "messages[%d].content is longer than %d bytes", i, MaxContentBytes)
		case checkText("content", m.Content) != nil:
			return checkText(fmt.Sprintf("messages[%d].content", i), m.Content)
		case checkText("name", m.Name) != nil:
			return checkText(fmt.Sprintf("messages[%d].name", i), m.Name)
		case utf8.RuneCountInString(m.Name) > 64:
			return errorf(ErrInvalidArgument, "messages[%d].name is longer than 64 characters", i)
		case m.Role == "tool" && m.ToolCallID == "":
			return errorf(ErrInvalidArgument, "messages[%d]: a tool message needs tool_call_id", i)
		case m.Role != "tool" && m.ToolCallID != "":
			return errorf(ErrInvalidArgument, "messages[%d]: tool_call_id belongs on a tool message", i)
		case len(m.ToolCalls) > 0 && m.Role != "assistant":
			return errorf(ErrInvalidArgument, "messages[%d]: only assistant messages carry tool_calls", i)
		case len(m.ToolCalls) > 0 && !isJSONArray(m.ToolCalls):
			return errorf(ErrInvalidArgument, "messages[%d].tool_calls must be a JSON array", i)
		case m.Content == "" && len(m.ToolCalls) == 0:
			return errorf(ErrInvalidArgument, "messages[%d].content is empty", i)
		}
	}
	return nil
}

func isJSONArray(b json.RawMessage) bool {
	var v []json.RawMessage
	return json.Unmarshal(b, &v) == nil
}

// Append adds messages to an agent's context as one atomic paging step: it stores them with
// increasing seq, places a memory-pressure warning when the context crosses warn_ratio, and when it
// reaches flush_ratio (counting the summary at its budget) evicts the oldest messages and, in the
// same transaction, queues a compaction job that folds them into a new running summary.
func (s *Service) Append(ctx context.Context, agentID string, in []MessageInput) (AppendResult, error) {
	if err := validateMessages(in); err != nil {
		return AppendResult{}, err
	}
	// Count outside the lock with the agent's model as last seen; count inside only for an
	// agent not seen yet, or whose model changed.
	var tokens []int
	model, seen := s.models.Load(agentID)
	if seen {
		var err error
		if tokens, err = s.countMessages(model.(string), in); err != nil {
			return AppendResult{}, err
		}
	}
	var res AppendResult
	err := s.cfg.Store.Page(ctx, agentID, func(ctx context.Context, p state.Page) (state.Change, error) {
		a := p.Agent()
		if !seen || a.Model != model {
			var err error
			if tokens, err = s.countMessages(a.Model, in); err != nil {
				return state.Change{}, err
			}
			s.models.Store(agentID, a.Model)
		}
		ch, r, err := s.step(ctx, p, in, tokens)
		res = r
		return ch, err
	})
	if err != nil {
		return AppendResult{}, agentErr(agentID, err)
	}
	for _, e := range res.Events {
		if s.cfg.OnEvent != nil {
			s.cfg.OnEvent(agentID, e)
		}
	}
	return res, nil
}

func (s *Service) countMessages(model string, in []MessageInput) ([]int, error) {
	c, err := s.tokens.Counter(model)
	if err != nil {
		return nil, err
	}
	out := make([]int, len(in))
	for i, m := range in {
		out[i] = c.Message(m.Role, m.Name, m.Content, m.ToolCalls)
	}
	return out, nil
}

// step is the pure paging rule applied under the agent's lock.
func (s *Service) step(ctx context.Context, p state.Page, in []MessageInput, tokens []int) (state.Change, AppendResult, error) {
	a := p.Agent()
	W := a.ContextWindow
	fixed := s.fixedTokens(a)
	room := W - fixed - summaryBudget(W)
	for i, t := range tokens {
		if t > room {
			return state.Change{}, AppendResult{}, errorf(ErrTooLarge,
				"messages[%d] has %d tokens, more than the %d the %d-token window leaves after the system prompt, blocks, tools and summary",
				i, t, room, W)
		}
	}
	now := s.now()
	ctr := a.Context
	msgs := make([]state.Message, 0, len(in)+1)
	add := func(m MessageInput, t int) {
		ctr.LastSeq++
		msgs = append(msgs, state.Message{
			ID: state.NewID("msg"), AgentID: a.ID, Seq: ctr.LastSeq, Role: m.Role, Content: m.Content, Name: m.Name,
			ToolCalls: m.ToolCalls, ToolCallID: m.ToolCallID, Pinned: m.Pinned, Tokens: t, InContext: true, CreatedAt: now,
		})
		ctr.MessageTokens += t
		ctr.InContext++
	}
	for i, m := range in {
		add(m, tokens[i])
	}
	var events []Event
	total := func() int { return fixed + ctr.SummaryTokens + ctr.MessageTokens }
	// reserved counts the summary at its budget: the one a queued compaction lands may be larger.
	reserved := func() int { return fixed + max(ctr.SummaryTokens, summaryBudget(W)) + ctr.MessageTokens }
	if !ctr.Warned && float64(total()) >= a.Pager.WarnRatio*float64(W) {
		c, err := s.tokens.Counter(a.Model)
		if err != nil {
			return state.Change{}, AppendResult{}, err
		}
		w := pressureWarning(total(), W)
		add(w, c.Message(w.Role, w.Name, w.Content, nil))
		ctr.Warned = true
		events = append(events, Event{Type: EventMemoryPressure, Tokens: total()})
	}
	ch := state.Change{Append: msgs}
	if float64(reserved()) >= a.Pager.FlushRatio*float64(W) {
		existing, err := p.InContext(ctx)
		if err != nil {
			return state.Change{}, AppendResult{}, err
		}
		all := append(existing, msgs...)
		if ev := s.evict(a, &ctr, all, state.ReasonEvicted, now); ev != nil {
			for i := range msgs {
				if msgs[i].Seq <= ev.through {
					msgs[i].InContext = false
				}
			}
			ch.EvictThrough, ch.Queue = ev.through, ev.queued
			events = append(events, ev.events...)
		}
	}
	ch.Context = &ctr
	a.Context = ctr
	if events == nil {
		events = []Event{}
	}
	return ch, AppendResult{Messages: msgs, Context: s.contextState(a), Events: events}, nil
}

// eviction is what evict decided: messages through seq leave the context and a compaction is
// queued for them.
type eviction struct {
	through int64
	queued  *state.Compaction
	events  []Event
}

// evict plans the eviction of the oldest of msgs (the messages in context, oldest first) down to
// target_ratio, updates ctr, and returns the eviction with its queued compaction, or nil when
// nothing is evicted.
func (s *Service) evict(a state.Agent, ctr *state.ContextCounters, msgs []state.Message, why string, now time.Time) *eviction {
	W := a.ContextWindow
	n := planEviction(msgs, s.fixedTokens(a)+summaryBudget(W), int(a.Pager.TargetRatio*float64(W)), W, a.Pager.KeepLast)
	if n == 0 {
		return nil
	}
	evicted := msgs[:n]
	for _, m := range evicted {
		ctr.MessageTokens -= m.Tokens
	}
	ctr.InContext -= n
	ctr.Warned = false
	through := evicted[n-1].Seq
	c := &state.Compaction{ID: state.NewID("cmp"), AgentID: a.ID, Reason: why, Status: state.CompactionQueued,
		FromSeq: evicted[0].Seq, ThroughSeq: through, CreatedAt: now}
	return &eviction{through: through, queued: c, events: []Event{
		{Type: EventEvicted, Count: n, ThroughSeq: through},
		{Type: EventCompactionQueued, JobID: c.ID},
	}}
}

func pressureWarning(total, window int) MessageInput {
	return MessageInput{Role: "system", Name: "memsvc", Content: fmt.Sprintf(
		"Memory pressure: your context holds %d of %d tokens (%d%%). The oldest messages will soon be evicted "+
			"to recall storage and summarized. Save anything important to core memory (core_memory_append) or "+
			"archival memory (archival_memory_insert) now.", total, window, total*100/window)}
}

// planEviction returns how many of the oldest messages to evict. It evicts whole units (an
// assistant tool call with its tool results is one unit), oldest first, until the context fits
// target (counting fixed, which includes the summary reserve), keeping at least keepLast messages.
// If the context would still exceed the window, it goes on into keepLast, but never evicts the
// newest unit.
func planEviction(msgs []state.Message, fixed, target, window, keepLast int) int {
	units := unitEnds(msgs)
	if len(units) == 0 {
		return 0 // nothing in context (a compaction requested of a new agent)
	}
	remaining := 0
	for _, m := range msgs {
		remaining += m.Tokens
	}
	n := 0
	for _, end := range units[:len(units)-1] {
		fitsTarget := fixed+remaining <= target
		keepsLast := len(msgs)-end >= keepLast
		if fitsTarget || (!keepsLast && fixed+remaining <= window) {
			break
		}
		for _, m := range msgs[n:end] {
			remaining -= m.Tokens
		}
		n = end
	}
	return n
}

// unitEnds returns the exclusive end index of each eviction unit: a message starts a new unit
// unless it is a tool result, which stays with the assistant call before it.
func unitEnds(msgs []state.Message) []int {
	var ends []int
	for i := 1; i <= len(msgs); i++ {
		if i == len(msgs) || msgs[i].Role != "tool" {
			ends = append(ends, i)
		}
	}
	return ends
}
