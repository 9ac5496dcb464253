package main

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/memsvc/memsvc/compaction"
	"github.com/memsvc/memsvc/embed"
	"github.com/memsvc/memsvc/ollama"
	"github.com/memsvc/memsvc/pager"
)

// embedder returns the embedder --embedder names (see newEmbedder).
func (m *Main) embedder(ctx context.Context) (embed.Embedder, error) {
	return newEmbedder(ctx, m.Config.Embedder, m.Config.OllamaURL, m.Logger)
}

// newEmbedder returns the embedder spec names: "builtin", or "ollama:<model>", a model on the
// Ollama server at url (probed, so a missing model or a stopped server fails with a clear
// message). serve and bench both take it from --embedder.
func newEmbedder(ctx context.Context, spec, url string, logger *slog.Logger) (embed.Embedder, error) {
	if err := checkProvider("--embedder", spec); err != nil {
		return nil, err
	}
	if model, ok := strings.CutPrefix(spec, "ollama:"); ok {
		e, err := ollama.NewEmbedder(ollama.Config{URL: url, Model: model, Logger: logger})
		if err != nil {
			return nil, err
		}
		if _, err := e.Probe(ctx); err != nil {
			return nil, fmt.Errorf("--embedder %s: %w", spec, err)
		}
		return e, nil
	}
	b := embed.NewBuiltin()
	return b, b.Load()
}

// checkProvider checks the value of an --embedder or --summarizer flag: builtin or
// ollama:<model>.
func checkProvider(flagName, spec string) error {
	if model, ok := strings.CutPrefix(spec, "ollama:"); spec != "builtin" && (!ok || strings.TrimSpace(model) == "") {
		return fmt.Errorf("%s %q: want builtin or ollama:<model>", flagName, spec)
	}
	return nil
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
