package ollama

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"strconv"
	"strings"

	"github.com/ollama/ollama/api"
)

// ErrBadVerdict means the model's answer to a contradiction check was not the JSON asked for
// (for example cut off by num_predict). It is not retried.
var ErrBadVerdict = errors.New("ollama: malformed verdict")

// Verdict is a model's judgement of whether a newer statement contradicts an older one about
// the same subject.
type Verdict struct {
	Contradicts bool    `json:"contradicts"`
	Confidence  float64 `json:"confidence"` // in [0, 1]
	Reason      string  `json:"reason"`
}

// Checker asks an Ollama chat model whether two statements contradict each other (POST
// /api/chat with a JSON schema as format, so the answer is constrained to a Verdict). Callers
// scope it: both statements are about the same agent and subject.
type Checker struct {
	cfg    Config
	client *api.Client
}

// NewChecker returns a Checker for cfg. It does no I/O; Probe as for a Summarizer.
func NewChecker(cfg Config) (*Checker, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	return &Checker{cfg: cfg, client: cfg.client()}, nil
}

// Probe checks that the server answers and has the model, as [Summarizer.Probe] does.
func (c *Checker) Probe(ctx context.Context) error {
	return (&Summarizer{cfg: c.cfg, client: c.client}).Probe(ctx)
}

const verdictSchema = `{"type":"object","properties":{` +
	`"contradicts":{"type":"boolean"},"confidence":{"type":"number"},` +
	`"reason":{"type":"string","maxLength":200}},"required":["contradicts","confidence","reason"]}`

const checkPrompt = `You check an AI agent's long-term memory for contradictions. Both statements below are about the subject %q. Does the newer statement contradict the older one, so that the older one is no longer true? Statements that add detail or are about different things do not contradict. Answer in JSON: contradicts (true or false), confidence (0 to 1) and a short reason.

<older>
%s
</older>

<newer>
%s
</newer>`

// Check asks whether newer contradicts older, both about subject. The confidence is clamped to
// [0, 1]. Errors: those of [Summarizer.SummarizeMetered], or ErrBadVerdict.
func (c *Checker) Check(ctx context.Context, subject, older, newer string) (Verdict, Usage, error) {
	opts := map[string]any{"temperature": 0, "num_predict": 256}
	maps.Copy(opts, c.cfg.Options)
	stream := false
	req := &api.ChatRequest{
		Model: c.cfg.Model, Stream: &stream, KeepAlive: c.cfg.keepAlive(), Options: opts,
		Format:   json.RawMessage(verdictSchema),
		Messages: []api.Message{{Role: "user", Content: fmt.Sprintf(checkPrompt, subject, older, newer)}},
	}
	var resp api.ChatResponse
	err := c.cfg.call(ctx, "chat", func(ctx context.Context) error {
		resp = api.ChatResponse{}
		return c.client.Chat(ctx, req, func(r api.ChatResponse) error {
			resp.Message.Content += r.Message.Content
			if r.Done {
				resp.Done, resp.Metrics = true, r.Metrics
			}
			return nil
		})
	})
	if err != nil {
		return Verdict{}, Usage{}, err
	}
	usage := Usage{TokensIn: resp.PromptEvalCount, TokensOut: resp.EvalCount}
	var raw struct {
		Contradicts bool        `json:"contradicts"`
		Confidence  json.Number `json:"confidence"`
		Reason      string      `json:"reason"`
	}
	if err := json.Unmarshal([]byte(strings.TrimSpace(resp.Message.Content)), &raw); err != nil {
		return Verdict{}, usage, fmt.Errorf("%w from model %q: %v", ErrBadVerdict, c.cfg.Model, err)
	}
	// A number out of float64's range parses as ±Inf (with ErrRange), which the clamp handles.
	conf, err := strconv.ParseFloat(string(raw.Confidence), 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) || math.IsNaN(conf) {
		return Verdict{}, usage, fmt.Errorf("%w from model %q: confidence %q", ErrBadVerdict, c.cfg.Model, raw.Confidence)
	}
	v := Verdict{Contradicts: raw.Contradicts, Confidence: min(max(conf, 0), 1), Reason: cleanOutput(raw.Reason)}
	return v, usage, nil
}
