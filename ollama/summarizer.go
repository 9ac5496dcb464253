package ollama

import (
	"context"
	"fmt"
	"maps"

	"github.com/ollama/ollama/api"

	"github.com/memsvc/memsvc/pager"
)

// Usage is what one call cost, as the server counted it: TokensIn the prompt tokens the model
// evaluated (prompt_eval_count), TokensOut the tokens it generated (eval_count).
type Usage = pager.Usage

// Summarizer is a pager.Summarizer backed by an Ollama chat model (POST /api/chat).
type Summarizer struct {
	cfg    Config
	client *api.Client
}

var _ pager.MeteredSummarizer = (*Summarizer)(nil)

// NewSummarizer returns a Summarizer for cfg. It does no I/O; call [Summarizer.Probe] at
// start-up.
func NewSummarizer(cfg Config) (*Summarizer, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	return &Summarizer{cfg: cfg, client: cfg.client()}, nil
}

// Model returns "ollama:" + Config.Model, e.g. for metric labels.
func (s *Summarizer) Model() string { return "ollama:" + s.cfg.Model }

// Probe checks that the server answers and has the model (POST /api/show), without running it:
// ErrUnavailable or a *ModelNotFoundError (ErrModelNotFound).
func (s *Summarizer) Probe(ctx context.Context) error {
	return s.cfg.call(ctx, "show", func(ctx context.Context) error {
		_, err := s.client.Show(ctx, &api.ShowRequest{Model: s.cfg.Model})
		return err
	})
}

// Summarize implements pager.Summarizer; see [Summarizer.SummarizeMetered].
func (s *Summarizer) Summarize(ctx context.Context, in pager.SummaryInput) (string, error) {
	text, _, err := s.SummarizeMetered(ctx, in)
	return text, err
}

// SummarizeMetered implements pager.MeteredSummarizer: it folds in.Messages into in.Previous
// with one chat call and returns the new summary and what the call cost. Pinned messages (and
// the "[pinned] " lines of in.Previous) are kept verbatim: the model is told to copy them, and
// those its output lacks are appended as "[pinned] role: text" lines; so are the facts of
// in.MustKeep that it lacks, one per line. The model may write at most in.MaxTokens tokens (num_predict), and
// the result is cut to in.MaxTokens by in.Count, cutting the model's prose before any pinned
// line; only pinned lines that alone exceed MaxTokens can make it longer (the pager truncates).
// With nothing new to fold, it makes no call. Errors are those of Probe and Embed: ctx.Err(),
// ErrModelNotFound, ErrUnavailable, or a rejected request.
func (s *Summarizer) SummarizeMetered(ctx context.Context, in pager.SummaryInput) (string, Usage, error) {
	if err := ctx.Err(); err != nil {
		return "", Usage{}, err
	}
	count := in.Count
	if count == nil {
		count = approxTokens
	}
	p := buildPrompt(in)
	if p.empty {
		return fit(in.Previous, p.pinned, in.MaxTokens, count), Usage{}, nil
	}
	opts := map[string]any{"temperature": 0}
	maps.Copy(opts, s.cfg.Options)
	if in.MaxTokens > 0 {
		opts["num_predict"] = in.MaxTokens
	}
	stream := false
	req := &api.ChatRequest{
		Model: s.cfg.Model, Stream: &stream, KeepAlive: s.cfg.keepAlive(), Options: opts,
		Messages: []api.Message{{Role: "system", Content: p.system}, {Role: "user", Content: p.user}},
	}
	var resp api.ChatResponse
	err := s.cfg.call(ctx, "chat", func(ctx context.Context) error {
		resp = api.ChatResponse{}
		return s.client.Chat(ctx, req, func(r api.ChatResponse) error {
			resp.Message.Content += r.Message.Content
			if r.Done {
				resp.Done, resp.DoneReason, resp.Metrics = true, r.DoneReason, r.Metrics
			}
			return nil
		})
	})
	if err != nil {
		return "", Usage{}, err
	}
	if !resp.Done {
		return "", Usage{}, fmt.Errorf("ollama: chat with model %q at %s: the answer ended before done", s.cfg.Model, s.cfg.URL)
	}
	usage := Usage{TokensIn: resp.PromptEvalCount, TokensOut: resp.EvalCount}
	return fit(cleanOutput(resp.Message.Content), p.pinned, in.MaxTokens, count), usage, nil
}
