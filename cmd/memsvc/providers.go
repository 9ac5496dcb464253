package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"

	"github.com/memsvc/memsvc/compaction"
	"github.com/memsvc/memsvc/embed"
	"github.com/memsvc/memsvc/ollama"
	"github.com/memsvc/memsvc/pager"
)

// defaultOpenAIURL is --openai-url's default.
const defaultOpenAIURL = "https://api.openai.com/v1"

// openAIKeyEnv names the variable holding the OpenAI-compatible API's key (a secret, so not a
// flag: a flag shows in the process list).
const openAIKeyEnv = "MEMSVC_OPENAI_API_KEY"

// endpoints are the model servers an embedder spec may name.
type endpoints struct {
	Ollama string // --ollama-url
	OpenAI string // --openai-url
}

// embedder returns the embedder --embedder names (see newEmbedder).
func (m *Main) embedder(ctx context.Context) (embed.Embedder, error) {
	return newEmbedder(ctx, m.Config.Embedder, endpoints{Ollama: m.Config.OllamaURL, OpenAI: m.Config.OpenAIURL}, m.Logger)
}

// newEmbedder returns the embedder spec names: "builtin" or another compiled-in one (see
// localEmbedders); "ollama:<model>", a model on the
// Ollama server; or "openai:<model>", a model behind an OpenAI-compatible /embeddings endpoint
// (vLLM, TEI, Ollama's /v1, OpenAI), with the key in $MEMSVC_OPENAI_API_KEY if it needs one.
// Model servers are probed, so a missing model or a stopped server fails with a clear message.
// serve and bench both take it from --embedder.
func newEmbedder(ctx context.Context, spec string, at endpoints, logger *slog.Logger) (embed.Embedder, error) {
	if err := checkEmbedder(spec); err != nil {
		return nil, err
	}
	if e, err := newLocalEmbedder(spec); e != nil || err != nil {
		return e, err
	}
	if model, ok := strings.CutPrefix(spec, "openai:"); ok {
		e, err := embed.NewOpenAI(embed.OpenAIConfig{URL: at.OpenAI, Model: model, APIKey: os.Getenv(openAIKeyEnv), Logger: logger})
		if err != nil {
			return nil, err
		}
		if _, err := e.Probe(ctx); err != nil {
			return nil, fmt.Errorf("--embedder %s at %s: %w", spec, at.OpenAI, err)
		}
		return e, nil
	}
	if model, ok := strings.CutPrefix(spec, "ollama:"); ok {
		e, err := ollama.NewEmbedder(ollama.Config{URL: at.Ollama, Model: model, Logger: logger})
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

// checkProvider checks the value of an --embedder or --summarizer flag: builtin, or
// <provider>:<model> for one of providers.
func checkProvider(flagName, spec string, providers ...string) error {
	if spec == "builtin" {
		return nil
	}
	provider, model, ok := strings.Cut(spec, ":")
	if !ok || strings.TrimSpace(model) == "" || !slices.Contains(providers, provider) {
		want := "builtin"
		for _, p := range providers {
			want += " or " + p + ":<model>"
		}
		return fmt.Errorf("%s %q: want %s", flagName, spec, want)
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
