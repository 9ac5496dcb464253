package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/memsvc/memsvc/compaction"
	"github.com/memsvc/memsvc/embed"
	"github.com/memsvc/memsvc/ollama"
	"github.com/memsvc/memsvc/pager"
)

// embedder returns the embedder --embedder names: the built-in one, or a model on the Ollama
// server (probed, so a missing model or a stopped server fails start-up with a clear message).
func (m *Main) embedder(ctx context.Context) (embed.Embedder, error) {
	if model, ok := strings.CutPrefix(m.Config.Embedder, "ollama:"); ok {
		e, err := ollama.NewEmbedder(ollama.Config{URL: m.Config.OllamaURL, Model: model, Logger: m.Logger})
		if err != nil {
			return nil, err
		}
		if _, err := e.Probe(ctx); err != nil {
			return nil, fmt.Errorf("--embedder %s: %w", m.Config.Embedder, err)
		}
		return e, nil
	}
	b := embed.NewBuiltin()
	return b, b.Load()
}

// summarizer returns the summarizer --summarizer names (nil: the pager's built-in extractive
// one) and, for a model, a contradiction checker on the same model.
func (m *Main) summarizer(ctx context.Context) (pager.Summarizer, compaction.Contradictor, error) {
	model, ok := strings.CutPrefix(m.Config.Summarizer, "ollama:")
	if !ok {
		return nil, nil, nil
	}
	cfg := ollama.Config{URL: m.Config.OllamaURL, Model: model, Logger: m.Logger}
	s, err := ollama.NewSummarizer(cfg)
	if err != nil {
		return nil, nil, err
	}
	if err := s.Probe(ctx); err != nil {
		return nil, nil, fmt.Errorf("--summarizer %s: %w", m.Config.Summarizer, err)
	}
	c, err := ollama.NewChecker(cfg)
	if err != nil {
		return nil, nil, err
	}
	return s, contradictor{c}, nil
}

// contradictor adapts the Ollama checker to the compaction contract.
type contradictor struct{ c *ollama.Checker }

func (a contradictor) Check(ctx context.Context, subject, older, newer string) (compaction.Verdict, pager.Usage, error) {
	v, u, err := a.c.Check(ctx, subject, older, newer)
	return compaction.Verdict(v), u, err
}
