// Command agent is a chat loop with memory: a model behind any OpenAI-compatible chat endpoint
// (Ollama's /v1 included) talks to the user, and memsvc keeps its memory. Each turn it appends
// the user's message, sends memsvc's context window and memory tools to the model, runs every
// tool call the model makes through memsvc (recorded in the context), and appends the answer.
//
//	go run ./examples/agent --model llama3.2                 # Ollama at 127.0.0.1:11434, memsvc at :8080
//	go run ./examples/agent --llm https://api.openai.com/v1 --model gpt-4o-mini   # key in OPENAI_API_KEY
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/memsvc/memsvc/client"
	"github.com/memsvc/memsvc/pager"
	"github.com/memsvc/memsvc/state"
)

// Config configures the loop.
type Config struct {
	Memsvc    string // memsvc base URL
	MemsvcKey string
	LLM       string // OpenAI-compatible base URL, up to /v1
	LLMKey    string
	Model     string
	Agent     string // an existing agent, or "" to create one
	// MaxToolRounds bounds the tool calls the model may chain in one turn.
	MaxToolRounds int
	// MaxTokens bounds each answer (max_tokens); 0 leaves it to the endpoint.
	MaxTokens int
}

func main() {
	var cfg Config
	flag.StringVar(&cfg.Memsvc, "memsvc", envOr("MEMSVC_URL", "http://127.0.0.1:8080"), "memsvc base URL")
	flag.StringVar(&cfg.LLM, "llm", envOr("LLM_URL", "http://127.0.0.1:11434/v1"), "OpenAI-compatible chat API, up to /v1")
	flag.StringVar(&cfg.Model, "model", os.Getenv("LLM_MODEL"), "chat model")
	flag.StringVar(&cfg.Agent, "agent", "", "memsvc agent ID (default: create one)")
	flag.IntVar(&cfg.MaxToolRounds, "max-tool-rounds", 5, "tool calls the model may chain in one turn")
	flag.IntVar(&cfg.MaxTokens, "max-tokens", 0, "the most tokens of one answer (0: the endpoint's default)")
	flag.Parse()
	cfg.MemsvcKey, cfg.LLMKey = os.Getenv("MEMSVC_API_KEY"), os.Getenv("OPENAI_API_KEY")
	if cfg.Model == "" {
		fmt.Fprintln(os.Stderr, "agent: name the chat model with --model (or LLM_MODEL)")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := Run(ctx, cfg, os.Stdin, os.Stdout); err != nil && !errors.Is(err, context.Canceled) {
		fmt.Fprintln(os.Stderr, "agent:", err)
		os.Exit(1)
	}
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// Run chats until in ends: one user line per turn, the answer printed to out.
func Run(ctx context.Context, cfg Config, in io.Reader, out io.Writer) error {
	if cfg.MaxToolRounds <= 0 {
		cfg.MaxToolRounds = 5
	}
	mem := client.New(cfg.Memsvc, client.WithAPIKey(cfg.MemsvcKey))
	llm := &chatClient{base: strings.TrimRight(cfg.LLM, "/"), key: cfg.LLMKey, model: cfg.Model, maxTokens: cfg.MaxTokens, hc: &http.Client{Timeout: 5 * time.Minute}}
	agent := cfg.Agent
	if agent == "" {
		a, err := mem.CreateAgent(ctx, pager.AgentSpec{Name: "examples/agent",
			System: "You are a helpful assistant with a long-term memory. Search it before you answer about the user or the past, " +
				"and store durable facts you learn.",
			Blocks: []state.Block{{Label: "human", Value: "", Limit: 2000, Description: "What you know about the user."},
				{Label: "persona", Value: "A concise, friendly assistant.", Limit: 2000}}})
		if err != nil {
			return fmt.Errorf("create the memsvc agent: %w", err)
		}
		agent = a.ID
		fmt.Fprintf(out, "(memsvc agent %s)\n", agent)
	}
	tools, err := mem.Tools(ctx, agent, "openai")
	if err != nil {
		return err
	}
	sc := bufio.NewScanner(in)
	for {
		fmt.Fprint(out, "> ")
		if !sc.Scan() {
			fmt.Fprintln(out)
			return sc.Err()
		}
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		answer, err := Turn(ctx, mem, llm, agent, tools, line, cfg.MaxToolRounds)
		if err != nil {
			return err
		}
		fmt.Fprintln(out, answer)
	}
}

// Turn runs one user turn: it appends the message, lets the model call memory tools (each run
// by memsvc and recorded in the context) and appends the model's answer, which it returns.
func Turn(ctx context.Context, mem *client.Client, llm *chatClient, agent string, tools []any, user string, maxRounds int) (string, error) {
	if _, err := mem.Append(ctx, agent, pager.MessageInput{Role: "user", Content: user}); err != nil {
		return "", err
	}
	for round := 0; ; round++ {
		view, err := mem.Context(ctx, agent, "openai")
		if err != nil {
			return "", err
		}
		offer := tools
		if round >= maxRounds {
			offer = nil // enough tool calls: the model must answer now
		}
		msg, err := llm.complete(ctx, view.Messages, offer)
		if err != nil {
			return "", err
		}
		if len(msg.ToolCalls) == 0 {
			if _, err := mem.Append(ctx, agent, pager.MessageInput{Role: "assistant", Content: msg.Content}); err != nil {
				return "", err
			}
			return msg.Content, nil
		}
		for _, tc := range msg.ToolCalls {
			// The arguments go as the string the model wrote: memsvc parses it, and a malformed one
			// comes back as tool content telling the model what to fix. With record, memsvc appends
			// the call and its result to the context, as the model expects to see them.
			args, _ := json.Marshal(tc.Function.Arguments)
			if _, err := mem.CallTool(ctx, agent, pager.ToolCall{Name: tc.Function.Name, Arguments: args,
				CallID: tc.ID, Record: true}); err != nil {
				return "", err
			}
		}
	}
}

// chatClient calls POST {base}/chat/completions.
type chatClient struct {
	base, key, model string
	maxTokens        int
	hc               *http.Client
}

type toolCall struct {
	ID       string `json:"id"`
	Type     string `json:"type"`
	Function struct {
		Name      string `json:"name"`
		Arguments string `json:"arguments"`
	} `json:"function"`
}

type chatMessage struct {
	Content   string     `json:"content"`
	ToolCalls []toolCall `json:"tool_calls"`
}

func (c *chatClient) complete(ctx context.Context, messages []any, tools []any) (chatMessage, error) {
	body := map[string]any{"model": c.model, "messages": messages}
	if c.maxTokens > 0 {
		body["max_tokens"] = c.maxTokens
	}
	if len(tools) > 0 {
		body["tools"] = tools
	}
	b, err := json.Marshal(body)
	if err != nil {
		return chatMessage{}, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+"/chat/completions", bytes.NewReader(b))
	if err != nil {
		return chatMessage{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	if c.key != "" {
		req.Header.Set("Authorization", "Bearer "+c.key)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return chatMessage{}, fmt.Errorf("chat: %w", err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if resp.StatusCode != http.StatusOK {
		return chatMessage{}, fmt.Errorf("chat: %s: %s", resp.Status, bytes.TrimSpace(data))
	}
	var out struct {
		Choices []struct {
			Message chatMessage `json:"message"`
		} `json:"choices"`
	}
	if err := json.Unmarshal(data, &out); err != nil || len(out.Choices) == 0 {
		return chatMessage{}, fmt.Errorf("chat: unexpected answer %.200s", data)
	}
	return out.Choices[0].Message, nil
}
