package pager

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/memsvc/memsvc/embed"
	"github.com/memsvc/memsvc/state"
)

// Start runs the service's background work until Stop: it first drains the summary outbox (so a
// crash between a paging step and its archival write is repaired), then embeds new messages for
// dense recall search and retries the outbox, every EmbedInterval.
func (s *Service) Start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cancel != nil {
		return errors.New("pager: already started")
	}
	if n, err := s.DrainOutbox(ctx); err != nil {
		s.cfg.Logger.Warn("drain summary outbox at start", "err", err)
	} else if n > 0 {
		s.cfg.Logger.Info("drained summary outbox at start", "summaries", n)
	}
	ctx, cancel := context.WithCancel(state.AllTenants(context.WithoutCancel(ctx)))
	s.cancel, s.done = cancel, make(chan struct{})
	go s.run(ctx)
	return nil
}

// Stop ends the background work and waits for it.
func (s *Service) Stop() {
	s.mu.Lock()
	cancel, done := s.cancel, s.done
	s.cancel = nil
	s.mu.Unlock()
	if cancel != nil {
		cancel()
		<-done
	}
}

func (s *Service) run(ctx context.Context) {
	defer close(s.done)
	// Background embedding leaves requests at least half the cores (one of two): a neural
	// embedder otherwise spreads each batch over every core.
	ctx = embed.WithWorkers(ctx, max(1, runtime.GOMAXPROCS(0)/2))
	t := time.NewTicker(s.cfg.EmbedInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := s.DrainOutbox(ctx); err != nil && ctx.Err() == nil {
				s.cfg.Logger.Warn("drain summary outbox", "err", err)
			}
		}
		// At most embedTickBatches batches a tick, so that the outbox is retried (above) while a
		// large backlog of messages is embedded.
		for range embedTickBatches {
			if ctx.Err() != nil {
				break
			}
			t0 := time.Now()
			n, err := s.embedBatch(ctx)
			if err != nil && ctx.Err() == nil {
				s.cfg.Logger.Warn("embed messages", "err", err)
			}
			if err != nil || n == 0 {
				break
			}
			Rest(ctx, time.Since(t0), s.cfg.EmbedShare)
		}
	}
}

// embedTickBatches is how many batches of messages the background worker embeds between two
// retries of the summary outbox.
const embedTickBatches = 64

// Rest holds a background worker that just worked for d idle long enough that it works at most
// share of its time ((1-share)/share times d), or until ctx ends: the CPU budget of background
// work (the message embedder here, compaction jobs in package compaction). A share outside
// (0, 1) does not rest.
func Rest(ctx context.Context, d time.Duration, share float64) {
	if share <= 0 || share >= 1 {
		return
	}
	t := time.NewTimer(time.Duration(float64(d) * (1 - share) / share))
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// EmbedPending embeds messages that have no vector yet, in batches, and returns how many.
func (s *Service) EmbedPending(ctx context.Context) (int, error) {
	n := 0
	for {
		k, err := s.embedBatch(ctx)
		n += k
		if err != nil || k == 0 {
			return n, err
		}
	}
}

// embedBatch embeds up to embedBatch messages that have no vector yet and returns how many. It
// takes agents in turns: each batch begins with the oldest pending messages of the agent after
// the one the last batch ended with, and wraps around after the last agent, so that one agent's
// long backlog (a bulk import) delays another agent's newest message by one batch, not by the
// whole backlog.
func (s *Service) embedBatch(ctx context.Context) (int, error) {
	ctx = state.AllTenants(ctx) // internal work, over every tenant's agents
	msgs, err := s.nextUnembedded(ctx)
	if err != nil || len(msgs) == 0 {
		return 0, err
	}
	texts, err := s.messageEmbedTexts(ctx, msgs)
	if err != nil {
		return 0, err
	}
	vecs, err := s.cfg.Embedder.Embed(ctx, texts)
	if err != nil {
		return 0, err
	}
	byID := make(map[string][]float32, len(msgs))
	for i, m := range msgs {
		byID[m.ID] = vecs[i]
	}
	if err := s.cfg.Store.SetMessageVectors(ctx, byID); err != nil {
		return 0, err
	}
	return len(msgs), nil
}

// nextUnembedded reads the next batch of messages awaiting a vector, after the agent the last
// batch ended with, and moves the turn on. The turn is held across the read, so that two
// callers at once (the background worker and EmbedPending) take different batches.
func (s *Service) nextUnembedded(ctx context.Context) ([]state.Message, error) {
	s.embedAfter.Lock()
	defer s.embedAfter.Unlock()
	msgs, err := s.cfg.Store.UnembeddedMessages(ctx, s.embedAfter.agent, embedBatch)
	if err == nil && len(msgs) == 0 && s.embedAfter.agent != "" {
		msgs, err = s.cfg.Store.UnembeddedMessages(ctx, "", embedBatch)
	}
	if err != nil || len(msgs) == 0 {
		return nil, err
	}
	s.embedAfter.agent = msgs[len(msgs)-1].AgentID
	return msgs, nil
}

// embedBatch is how many message vectors one write stores. Small batches keep each write short, so
// appends waiting for the store's write lock are not held up behind the embedder.
const embedBatch = 32

// messageContextBytes bounds the context a message is embedded with: the end of the message
// before it, where a question it answers stands.
const messageContextBytes = 400

// messageEmbedTexts returns the texts whose embeddings stand for msgs (one agent's, in order of
// seq, as UnembeddedMessages returns them): a message followed by the end of the one it answers
// (messageContext), as a passage is followed by its context (PassageEmbedText), so that "Yes,
// every Sunday" is found by the question it answers. The message before the first is read from
// the store when the batch does not hold it.
func (s *Service) messageEmbedTexts(ctx context.Context, msgs []state.Message) ([]string, error) {
	texts := make([]string, len(msgs))
	for i := range msgs {
		m := &msgs[i]
		texts[i] = m.Content
		if !mayAnswer(*m) {
			continue
		}
		var prev *state.Message
		if i > 0 && msgs[i-1].AgentID == m.AgentID && msgs[i-1].Seq == m.Seq-1 {
			prev = &msgs[i-1]
		} else if m.Seq > 1 {
			before, err := s.cfg.Store.ListMessages(ctx, m.AgentID, m.Seq-2, 1)
			if err != nil {
				return nil, fmt.Errorf("pager: the message before %s: %w", m.ID, err)
			}
			if len(before) == 1 && before[0].Seq == m.Seq-1 {
				prev = &before[0]
			}
		}
		if c := messageContext(*m, prev); c != "" {
			texts[i] += " " + c
		}
	}
	return texts, nil
}

// mayAnswer reports whether m can answer the message before it: a user's or an assistant's
// message with words. A message without words (an assistant's tool call alone) stays without a
// vector's meaning: a context would make it match what the message before it asked.
func mayAnswer(m state.Message) bool {
	return (m.Role == "user" || m.Role == "assistant") && strings.TrimSpace(m.Content) != ""
}

// messageContext is what situates m in its conversation: the end of the message before it
// (prev, nil when unknown) when m may answer it and it is the other party's, a user's message
// answering the assistant's or the assistant's answering the user's; "" otherwise. A user's
// message after the user's own is another thing said, not an answer (BEAM's chats, all the
// user's, measured worse with it: bench/RESULTS.md).
func messageContext(m state.Message, prev *state.Message) string {
	if prev == nil || !mayAnswer(m) {
		return ""
	}
	if (m.Role == "user" && prev.Role == "assistant") || (m.Role == "assistant" && prev.Role == "user") {
		return tail(prev.Content, messageContextBytes)
	}
	return ""
}

// tail returns the end of s, at most n bytes, beginning at a word, or at a character where the
// text has no spaces there (Chinese, Japanese, a long URL).
func tail(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) <= n {
		return s
	}
	start := len(s) - n
	if start > 0 && !isSpace(s[start-1]) { // the cut falls inside a word: skip to the next
		if i := strings.IndexAny(s[start:], " \n\t"); i >= 0 {
			return strings.TrimSpace(s[start+i:])
		}
		for start < len(s) && !utf8.RuneStart(s[start]) {
			start++
		}
	}
	return strings.TrimSpace(s[start:])
}

func isSpace(b byte) bool { return b == ' ' || b == '\n' || b == '\t' }
