package main

import (
	"context"
	"strings"
	"testing"

	"github.com/memsvc/memsvc/client"
	"github.com/memsvc/memsvc/ollama/ollamatest"
)

// toolsTemplate is the synthetic model's chat template with the tools in it, so that Ollama
// accepts requests that hand the model tools (it refuses them for a template without .Tools).
const toolsTemplate = `{{- if .Tools }}<|tools|>
{{ range .Tools }}{{ .Function.Name }}
{{ end }}{{ end }}{{- range .Messages }}<|{{ .Role }}|>
{{ .Content }}
{{ end }}<|assistant|>
`

// TestChatLoopAgainstOllama runs the agent against a real Ollama server's OpenAI-compatible API
// with a synthetic random-weight model: the protocol, not the answers. Each turn reaches the
// model with memsvc's tools and is appended to memsvc, user and assistant.
func TestChatLoopAgainstOllama(t *testing.T) {
	srv := ollamatest.Start(t)
	ctx := context.Background()
	dir := t.TempDir()
	if err := ollamatest.WriteLlama(dir, ollamatest.LlamaSpec{Seed: 5}); err != nil {
		t.Fatal(err)
	}
	if err := srv.CreateFromDir(ctx, "synthetic-tools", dir, toolsTemplate); err != nil {
		t.Fatal(err)
	}
	base := memsvcServer(t)
	var out strings.Builder
	err := Run(ctx, Config{Memsvc: base, LLM: srv.URL + "/v1", Model: "synthetic-tools", MaxToolRounds: 2, MaxTokens: 16},
		strings.NewReader("Hi, I'm Ada and I keep bees.\nWho am I?\n"), &out)
	if err != nil {
		t.Fatalf("chat loop: %v\n%s", err, out.String())
	}
	agent := strings.TrimSuffix(strings.TrimPrefix(strings.SplitN(out.String(), "\n", 2)[0], "(memsvc agent "), ")")
	hist, err := client.New(base).Messages(ctx, agent, client.Page{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var users, assistants int
	for _, m := range hist.Items {
		switch m.Role {
		case "user":
			users++
		case "assistant":
			assistants++
		}
	}
	if users != 2 || assistants < 2 {
		t.Fatalf("history after two turns: %d user and %d assistant messages, want 2 and at least 2\n%s", users, assistants, out.String())
	}
	t.Log(out.String())
}
