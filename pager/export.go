package pager

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/memsvc/memsvc/archival"
	"github.com/memsvc/memsvc/state"
)

// The export document's format name and version. Import reads this version (and refuses others
// with a message saying which it reads).
const (
	ExportFormat  = "memsvc.agent"
	ExportVersion = 1
)

// Export is a portable copy of one agent: everything that shapes what it answers. Importing it
// elsewhere (with the same embedder) gives the same answers to every search, since it keeps the
// IDs, times, validity fields, keys and vectors of every passage and message.
//
// What it does not carry: the agent's tenant (an import belongs to the importer's), compaction
// jobs, block write history, and passage history as a store record (each passage's history is
// in History for the record; the importing store starts a new history, with one event per
// passage). A block attached from a shared block is exported as the agent's own block.
type Export struct {
	Format     string      `json:"format"`
	Version    int         `json:"version"`
	ExportedAt time.Time   `json:"exported_at"`
	Agent      state.Agent `json:"agent"`
	// Counters is the main context's running account, so the context reads as it did.
	Counters  ExportCounters  `json:"context_counters"`
	Blocks    []state.Block   `json:"blocks"`
	Messages  []state.Message `json:"messages"`
	Summaries []state.Summary `json:"summaries"`
	Passages  []ExportPassage `json:"passages"`
}

// ExportCounters are state.ContextCounters with JSON names.
type ExportCounters struct {
	LastSeq       int64  `json:"last_seq"`
	SystemTokens  int    `json:"system_tokens"`
	BlocksTokens  int    `json:"blocks_tokens"`
	MessageTokens int    `json:"message_tokens"`
	InContext     int    `json:"in_context"`
	Warned        bool   `json:"warned"`
	SummaryID     string `json:"summary_id,omitempty"`
	SummaryTokens int    `json:"summary_tokens"`
}

// ExportPassage is a passage with its vector (as the store keeps it) and its history.
type ExportPassage struct {
	archival.Passage
	Vector  []float32        `json:"vector,omitempty"`
	History []archival.Event `json:"history"`
}

// MaxImportMessages and MaxImportPassages bound one import.
const (
	MaxImportMessages = 200_000
	MaxImportPassages = 200_000
)

// ExportAgent returns the export document of an agent. ErrUnprocessable when the archival store
// cannot list passages (Qdrant).
func (s *Service) ExportAgent(ctx context.Context, agentID string) (Export, error) {
	a, err := s.agentFor(ctx, agentID, "")
	if err != nil {
		return Export{}, err
	}
	lister, ok := s.cfg.Archival.(archival.Lister)
	if !ok {
		return Export{}, errorf(ErrUnprocessable, "this server's archival store cannot list passages, so it cannot export")
	}
	c := a.Context
	doc := Export{Format: ExportFormat, Version: ExportVersion, ExportedAt: s.now().UTC(), Agent: a,
		Counters: ExportCounters{LastSeq: c.LastSeq, SystemTokens: c.SystemTokens, BlocksTokens: c.BlocksTokens,
			MessageTokens: c.MessageTokens, InContext: c.InContext, Warned: c.Warned, SummaryID: c.SummaryID, SummaryTokens: c.SummaryTokens}}
	doc.Agent.Tenant = ""
	if doc.Blocks, err = s.cfg.Store.ListBlocks(ctx, agentID); err != nil {
		return Export{}, err
	}
	for i := range doc.Blocks {
		b := &doc.Blocks[i]
		b.SharedID, b.CopyOnWrite = "", false
	}
	for after := int64(0); ; {
		msgs, err := s.cfg.Store.ListMessages(ctx, agentID, after, 1000)
		if err != nil {
			return Export{}, err
		}
		if len(msgs) == 0 {
			break
		}
		doc.Messages = append(doc.Messages, msgs...)
		after = msgs[len(msgs)-1].Seq
	}
	if doc.Summaries, err = s.cfg.Store.ListSummaries(ctx, agentID); err != nil {
		return Export{}, err
	}
	for cursor := ""; ; {
		ps, next, err := lister.List(ctx, agentID, cursor, 1000)
		if err != nil {
			return Export{}, err
		}
		for _, p := range ps {
			h, err := s.cfg.Archival.History(ctx, agentID, p.ID)
			if err != nil {
				return Export{}, err
			}
			doc.Passages = append(doc.Passages, ExportPassage{Passage: p, Vector: p.Vector, History: h})
		}
		if next == "" {
			break
		}
		cursor = next
	}
	doc.Messages, doc.Summaries = nonNilSlice(doc.Messages), nonNilSlice(doc.Summaries)
	doc.Passages = nonNilSlice(doc.Passages)
	return doc, nil
}

func nonNilSlice[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// ImportAgent stores an export as a new agent of the caller's tenant, with the IDs it had:
// ErrConflict when that agent ID exists here. Passages keep their vectors when the dimension is
// this server's (else they are embedded again, and answers follow this server's embedder). On
// any error after the agent was created, the agent is deleted again, so nothing is left half
// imported.
func (s *Service) ImportAgent(ctx context.Context, doc Export) (AgentView, error) {
	if err := s.checkImport(ctx, &doc); err != nil {
		return AgentView{}, err
	}
	a := doc.Agent
	a.Tenant = tenantOf(ctx)
	a.Context = state.ContextCounters{}
	c, err := s.tokens.Counter(a.Model)
	if err != nil {
		return AgentView{}, err
	}
	a.Context.SystemTokens = c.Count(a.System)
	a.Context.BlocksTokens = c.Count(RenderBlocks(doc.Blocks))
	if err := s.cfg.Store.CreateAgent(ctx, a, doc.Blocks); err != nil {
		if errors.Is(err, state.ErrConflict) {
			return AgentView{}, errorf(ErrConflict, "agent %s exists here; delete it first to import it again", a.ID)
		}
		return AgentView{}, err
	}
	if err := s.importContents(ctx, a.ID, doc); err != nil {
		if derr := s.DeleteAgent(ctx, a.ID); derr != nil {
			s.cfg.Logger.Error("import: delete the half-imported agent", "agent", a.ID, "err", derr)
		}
		return AgentView{}, err
	}
	return s.GetAgent(ctx, a.ID)
}

func (s *Service) checkImport(ctx context.Context, doc *Export) error {
	switch {
	case doc.Format != ExportFormat:
		return errorf(ErrInvalidArgument, "format must be %q, got %q", ExportFormat, doc.Format)
	case doc.Version != ExportVersion:
		return errorf(ErrInvalidArgument, "this server imports version %d of %s, got version %d", ExportVersion, ExportFormat, doc.Version)
	case doc.Agent.ID == "" || checkText("agent.id", doc.Agent.ID) != nil || len(doc.Agent.ID) > 256:
		return errorf(ErrInvalidArgument, "agent.id must be a non-empty ID")
	case len(doc.Messages) > MaxImportMessages:
		return errorf(ErrTooLarge, "at most %d messages per import, got %d", MaxImportMessages, len(doc.Messages))
	case len(doc.Passages) > MaxImportPassages:
		return errorf(ErrTooLarge, "at most %d passages per import, got %d", MaxImportPassages, len(doc.Passages))
	case len(doc.Blocks) > MaxBlocks:
		return errorf(ErrTooLarge, "an agent has at most %d blocks, got %d", MaxBlocks, len(doc.Blocks))
	}
	if doc.Agent.ContextWindow == 0 {
		doc.Agent.ContextWindow = DefaultContextWindow
	}
	if doc.Agent.Pager == (state.PagerConfig{}) {
		doc.Agent.Pager = DefaultPager
	}
	doc.Agent.Permissions = normalizePermissions(doc.Agent.Permissions)
	if err := validateAgent(&doc.Agent); err != nil {
		return err
	}
	seen := map[string]bool{}
	for i := range doc.Blocks {
		b := &doc.Blocks[i]
		b.SharedID, b.CopyOnWrite = "", false
		if err := normalizeBlock(b); err != nil {
			return err
		}
		if seen[b.Label] {
			return errorf(ErrInvalidArgument, "block label %q appears twice", b.Label)
		}
		seen[b.Label] = true
	}
	sortBlocks(doc.Blocks)
	var last int64
	ids := map[string]bool{}
	for i, m := range doc.Messages {
		switch {
		case m.ID == "" || ids[m.ID] || len(m.ID) > 256:
			return errorf(ErrInvalidArgument, "messages[%d]: id must be set and unique", i)
		case m.Seq <= last:
			return errorf(ErrInvalidArgument, "messages[%d]: seq must increase, got %d after %d", i, m.Seq, last)
		case !roles[m.Role]:
			return errorf(ErrInvalidArgument, "messages[%d]: role must be user, assistant, system or tool, got %q", i, m.Role)
		case len(m.Content) > MaxContentBytes:
			return errorf(ErrTooLarge, "messages[%d]: content is longer than %d bytes", i, MaxContentBytes)
		case checkText("content", m.Content) != nil || checkText("id", m.ID) != nil:
			return errorf(ErrInvalidArgument, "messages[%d]: content and id must be valid UTF-8 without NUL", i)
		case len(m.ToolCalls) > 0 && !json.Valid(m.ToolCalls):
			return errorf(ErrInvalidArgument, "messages[%d]: tool_calls is not valid JSON", i)
		}
		ids[m.ID], last = true, m.Seq
	}
	for i, p := range doc.Passages {
		if _, _, err := checkPassage(ctx, PassageInput{Text: p.Text, Context: p.Context, Key: p.Key, Tags: p.Tags, Source: p.Source, Metadata: p.Metadata}); err != nil {
			return indexed(err, true, i)
		}
		switch {
		case p.ID == "" || ids[p.ID] || len(p.ID) > 256 || checkText("id", p.ID) != nil:
			return errorf(ErrInvalidArgument, "passages[%d]: id must be set and unique", i)
		case !p.Status.Valid():
			return errorf(ErrInvalidArgument, "passages[%d]: status %q is not a passage status", i, p.Status)
		}
		ids[p.ID] = true
	}
	for i, sm := range doc.Summaries {
		if sm.ID == "" || ids[sm.ID] || checkText("text", sm.Text) != nil {
			return errorf(ErrInvalidArgument, "summaries[%d]: id must be set and unique, text valid UTF-8", i)
		}
		ids[sm.ID] = true
	}
	return nil
}

func (s *Service) importContents(ctx context.Context, agentID string, doc Export) error {
	var evictThrough int64
	for _, m := range doc.Messages {
		if !m.InContext {
			evictThrough = max(evictThrough, m.Seq)
		}
	}
	msgs := make([]state.Message, len(doc.Messages))
	for i, m := range doc.Messages {
		m.AgentID, m.InContext = agentID, true
		msgs[i] = m
	}
	c := doc.Counters
	counters := &state.ContextCounters{LastSeq: c.LastSeq, SystemTokens: c.SystemTokens, BlocksTokens: c.BlocksTokens,
		MessageTokens: c.MessageTokens, InContext: c.InContext, Warned: c.Warned, SummaryID: c.SummaryID, SummaryTokens: c.SummaryTokens}
	if counters.LastSeq == 0 && len(msgs) > 0 {
		counters.LastSeq = msgs[len(msgs)-1].Seq
	}
	// One paging step per summary (a step holds one), the messages with the first, the
	// counters with the last (they name the current summary).
	steps := max(1, len(doc.Summaries))
	for i := 0; i < steps; i++ {
		ch := state.Change{}
		if i == 0 {
			ch.Append, ch.EvictThrough = msgs, evictThrough
		}
		if i < len(doc.Summaries) {
			sm := doc.Summaries[i]
			sm.AgentID = agentID
			ch.Summary = &sm
		}
		if i == steps-1 {
			ch.Context = counters
		}
		if err := s.cfg.Store.Page(ctx, agentID, func(context.Context, state.Page) (state.Change, error) { return ch, nil }); err != nil {
			return fmt.Errorf("pager: import: %w", err)
		}
	}
	for lo := 0; lo < len(doc.Passages); lo += MaxBatchPassages {
		chunk := doc.Passages[lo:min(lo+MaxBatchPassages, len(doc.Passages))]
		batch := make([]archival.Passage, len(chunk))
		var texts []string
		var missing []int
		for i, ep := range chunk {
			p := ep.Passage
			p.AgentID, p.Vector, p.Cause = agentID, ep.Vector, "imported"
			if p.Tags == nil {
				p.Tags = []string{}
			}
			if len(p.Vector) != s.cfg.Archival.Dim() {
				texts, missing = append(texts, PassageEmbedText(p.Key, p.Text, string(p.Source), p.Context)), append(missing, i)
			}
			batch[i] = p
		}
		if len(texts) > 0 {
			vecs, err := s.cfg.Embedder.Embed(ctx, texts)
			if err != nil {
				return fmt.Errorf("pager: import: embed passages: %w", err)
			}
			for j, i := range missing {
				batch[i].Vector = vecs[j]
			}
		}
		if err := s.cfg.Archival.Upsert(ctx, batch); err != nil {
			return fmt.Errorf("pager: import: %w", err)
		}
	}
	// Recall's dense half needs the messages' vectors: embed them now rather than in the background.
	if _, err := s.EmbedPending(ctx); err != nil {
		return fmt.Errorf("pager: import: embed messages: %w", err)
	}
	return nil
}
