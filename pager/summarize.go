package pager

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/memsvc/memsvc/archival"
	"github.com/memsvc/memsvc/state"
)

// SummaryInput is what a Summarizer folds: the previous running summary and the evicted span.
type SummaryInput struct {
	Previous  string
	Messages  []state.Message
	MaxTokens int
	Count     func(string) int
	// MustKeep, on a retry, lists facts of pinned messages (key terms, numbers, names) that the
	// previous attempt dropped: the summary should state them verbatim.
	MustKeep []string
}

// Summarizer makes a recursive summary. The result must fit MaxTokens; the pager truncates it
// otherwise.
type Summarizer interface {
	Summarize(ctx context.Context, in SummaryInput) (string, error)
}

// Usage is what one summarizer call cost, in tokens.
type Usage struct {
	TokensIn  int
	TokensOut int
}

// MeteredSummarizer is a Summarizer that reports what each call cost, as its model counted it.
// For one that does not, Fold charges the tokenizer's count of the input and the output: what a
// model would have billed.
type MeteredSummarizer interface {
	Summarizer
	SummarizeMetered(ctx context.Context, in SummaryInput) (string, Usage, error)
}

// Lead is the summarizer the built-in one replaced, kept as the baseline that `memsvc bench
// summary` measures Extractive against: each evicted message becomes one line ("role: first
// sentence…", pinned messages verbatim), appended to the previous summary's lines; when over
// budget, the oldest unpinned lines are dropped first.
type Lead struct{}

const pinnedMark = "[pinned] "

// Summarize implements Summarizer.
func (Lead) Summarize(ctx context.Context, in SummaryInput) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	var lines []string
	for _, l := range strings.Split(in.Previous, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	for _, m := range in.Messages {
		if m.Role == "system" && m.Name == "memsvc" {
			continue // our own pressure warnings carry no facts
		}
		text := strings.Join(strings.Fields(m.Content), " ")
		if text == "" {
			continue
		}
		if m.Pinned {
			lines = append(lines, pinnedMark+m.Role+": "+text)
			continue
		}
		lines = append(lines, m.Role+": "+firstSentence(text, 160))
	}
	// Drop the oldest unpinned lines until the summary fits: the fewest that make it fit, found by
	// binary search over how many (a count of the whole text per probe, rather than one per
	// dropped line, which made long compactions quadratic in tiktoken's time).
	var unpinned []int // indexes of the unpinned lines, oldest first
	for i, l := range lines {
		if !strings.HasPrefix(l, pinnedMark) {
			unpinned = append(unpinned, i)
		}
	}
	without := func(j int) []string { // lines without the j oldest unpinned ones
		if j == 0 {
			return lines
		}
		skip := make(map[int]bool, j)
		for _, i := range unpinned[:j] {
			skip[i] = true
		}
		out := make([]string, 0, len(lines)-j)
		for i, l := range lines {
			if !skip[i] {
				out = append(out, l)
			}
		}
		return out
	}
	fits := func(j int) bool { return in.Count(strings.Join(without(j), "\n")) <= in.MaxTokens }
	if !fits(0) {
		lo, hi := 1, len(unpinned) // the answer is in lo..hi; all unpinned gone may still not fit
		for lo < hi {
			if mid := (lo + hi) / 2; fits(mid) {
				hi = mid
			} else {
				lo = mid + 1
			}
		}
		lines = without(hi) // only pinned lines may be left over budget; the pager truncates
	}
	return strings.Join(lines, "\n"), nil
}

// firstSentence returns s up to its first sentence end, cut at max bytes on a word boundary.
func firstSentence(s string, max int) string {
	if i := strings.IndexAny(s, ".!?"); i >= 0 && i+1 < len(s) {
		s = s[:i+1]
	}
	return clip(s, max)
}

// clip cuts s to at most max bytes on a word boundary (or a rune boundary in a word longer than
// that), marking the cut with "…".
func clip(s string, max int) string {
	if len(s) <= max {
		return s
	}
	cut := strings.LastIndexByte(s[:max], ' ')
	if cut <= 0 {
		cut = max
		for cut > 0 && !isRuneStart(s[cut]) {
			cut--
		}
	}
	return s[:cut] + "…"
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }

// truncateTokens cuts text to at most max tokens, on a word boundary.
func truncateTokens(text string, max int, count func(string) int) string {
	if count(text) <= max {
		return text
	}
	words := strings.Fields(text)
	lo, hi := 0, len(words)
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if count(strings.Join(words[:mid], " ")) <= max {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return strings.Join(words[:lo], " ")
}

// renderSummary is how a summary enters the context.
func renderSummary(text string) string {
	if text == "" {
		return ""
	}
	return "<summary>\nSummary of earlier messages, evicted to recall storage (search them with conversation_search):\n" +
		text + "\n</summary>"
}

// FoldInput is one fold of a running summary: Previous (a summary's text, "" for none) and
// Messages, oldest first.
type FoldInput struct {
	Agent    state.Agent
	Previous string
	Messages []state.Message
	MustKeep []string
}

// Fold runs the configured Summarizer on one fold and returns the new summary text, cut to the
// agent's summary budget (less the frame that renders it into the context), its tokens as
// rendered, and what the call cost. A compaction job calls it, outside any lock.
func (s *Service) Fold(ctx context.Context, in FoldInput) (text string, tokens int, usage Usage, err error) {
	c, err := s.tokens.Counter(in.Agent.Model)
	if err != nil {
		return "", 0, Usage{}, err
	}
	budget := summaryBudget(in.Agent.ContextWindow)
	// The frame around the text costs tokens too; leave room for it.
	frame := c.Count(renderSummary("x"))
	si := SummaryInput{Previous: in.Previous, Messages: in.Messages, MaxTokens: budget - frame, Count: c.Count, MustKeep: in.MustKeep}
	if m, ok := s.cfg.Summarizer.(MeteredSummarizer); ok {
		text, usage, err = m.SummarizeMetered(ctx, si)
	} else {
		text, err = s.cfg.Summarizer.Summarize(ctx, si)
		usage.TokensIn = c.Count(in.Previous)
		for _, m := range in.Messages {
			usage.TokensIn += m.Tokens
		}
		usage.TokensOut = c.Count(text)
	}
	if err != nil {
		return "", 0, usage, fmt.Errorf("pager: summarize: %w", err)
	}
	text = truncateTokens(text, si.MaxTokens, c.Count)
	return text, c.Count(renderSummary(text)), usage, nil
}

// summaryPassageID is the archival ID of a summary, so that writing it twice is idempotent.
func summaryPassageID(summaryID string) string { return "psg_" + strings.TrimPrefix(summaryID, "sum_") }

// SummaryPassageID is the ID of the archival passage that holds a summary.
func SummaryPassageID(summaryID string) string { return summaryPassageID(summaryID) }

// ArchiveSummary pages a committed summary out to archival memory (source compaction) and clears
// it from the outbox. It is idempotent; a summary left in the outbox is retried by the worker.
func (s *Service) ArchiveSummary(ctx context.Context, sum state.Summary) error {
	return s.archiveSummary(ctx, sum)
}

// archiveSummary pages a summary out to archival memory (source compaction) and clears it from
// the outbox. It is idempotent.
func (s *Service) archiveSummary(ctx context.Context, sum state.Summary) error {
	if sum.Text == "" {
		return s.cfg.Store.MarkSummaryArchived(ctx, sum.ID, "-")
	}
	vecs, err := s.cfg.Embedder.Embed(ctx, []string{PassageEmbedText("", sum.Text, string(archival.SourceCompaction), "")})
	if err != nil {
		return fmt.Errorf("pager: embed summary %s: %w", sum.ID, err)
	}
	p := archival.Passage{
		ID: summaryPassageID(sum.ID), AgentID: sum.AgentID, Text: sum.Text, Vector: vecs[0],
		CreatedAt: sum.CreatedAt, ValidFrom: sum.CreatedAt, Status: archival.StatusValid,
		Source: archival.SourceCompaction, Tags: []string{"summary"},
		Metadata: map[string]any{
			"summary_id": sum.ID, "source_message_ids": sum.SourceMessageIDs,
			"from_seq": sum.FromSeq, "through_seq": sum.ThroughSeq,
			"compaction_id": sum.CompactionID, "source_passage_ids": nonNilIDs(sum.SourcePassageIDs),
		},
	}
	err = s.UpdateArchival(ctx, sum.AgentID, nil, func([]*archival.Passage) ([]archival.Passage, error) {
		return []archival.Passage{p}, nil
	})
	if errors.Is(err, ErrNotFound) {
		// The agent was deleted since: its summaries went with it, and so must this passage.
		return nil
	}
	if err != nil {
		return fmt.Errorf("pager: archive summary %s: %w", sum.ID, err)
	}
	return s.cfg.Store.MarkSummaryArchived(ctx, sum.ID, p.ID)
}

// DrainOutbox writes every summary still waiting in the outbox to archival memory. The service
// runs it at Start and periodically; it returns how many it wrote.
func (s *Service) DrainOutbox(ctx context.Context) (int, error) {
	ctx = state.AllTenants(ctx) // internal work, over every tenant's agents
	n := 0
	for {
		pending, err := s.cfg.Store.PendingSummaries(ctx, 64)
		if err != nil || len(pending) == 0 {
			return n, err
		}
		for _, sum := range pending {
			if err := s.archiveSummary(ctx, sum); err != nil {
				return n, err
			}
			n++
		}
	}
}

// ListSummaries returns an agent's summaries, oldest first, each with its source messages.
func (s *Service) ListSummaries(ctx context.Context, agentID string) ([]state.Summary, error) {
	if _, err := s.cfg.Store.GetAgent(ctx, agentID); err != nil {
		return nil, agentErr(agentID, err)
	}
	return s.cfg.Store.ListSummaries(ctx, agentID)
}

func nonNilIDs(ids []string) []string {
	if ids == nil {
		return []string{}
	}
	return ids
}
