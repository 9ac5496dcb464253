package main

import (
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"

	"github.com/memsvc/memsvc/ollama/ollamatest"
)

// TestServeWithOllama runs memsvc with --embedder and --summarizer on a real Ollama server with
// synthetic random-weight models: the wiring works end to end (agent, passage, search, a
// compaction by the chat model). Outputs are random, so only the protocol is asserted.
func TestServeWithOllama(t *testing.T) {
	srv := ollamatest.Start(t)
	ctx := context.Background()
	if err := srv.CreateEmbedModel(ctx, "synthetic-bert", ollamatest.BertSpec{Hidden: 64, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	if err := srv.CreateChatModel(ctx, "synthetic-llama", ollamatest.LlamaSpec{Seed: 2}); err != nil {
		t.Fatal(err)
	}
	m := NewMain(io.Discard)
	if err := m.ParseFlags([]string{"--addr", "127.0.0.1:0", "--data", t.TempDir(), "--ollama-url", srv.URL,
		"--embedder", "ollama:synthetic-bert", "--summarizer", "ollama:synthetic-llama"}); err != nil {
		t.Fatal(err)
	}
	if err := m.Run(ctx); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	c := client{t, "http://" + m.Addr()}
	id := createAgent(c, 4000)
	var p struct{ ID string }
	if st := c.do("POST", "/v1/agents/"+id+"/archival", map[string]any{"text": "The harbour master is called Ines."}, &p); st != 201 {
		t.Fatalf("insert: %d", st)
	}
	var res struct {
		Results []struct{ Passage struct{ ID string } } `json:"results"`
	}
	if st := c.do("POST", "/v1/agents/"+id+"/archival/search", map[string]any{"query": "harbour master"}, &res); st != 200 || len(res.Results) != 1 || res.Results[0].Passage.ID != p.ID {
		t.Fatalf("search: %d %+v", st, res)
	}

	// Another embedder on the same data directory is refused with a message that names the fix.
	m.Close()
	m2 := NewMain(io.Discard)
	if err := m2.ParseFlags([]string{"--addr", "127.0.0.1:0", "--data", m.Config.Data}); err != nil {
		t.Fatal(err)
	}
	err := m2.Run(ctx)
	m2.Close()
	if err == nil {
		t.Fatal("starting with the built-in embedder on an Ollama-embedded store must fail")
	}
}

// TestBenchWithOllama runs the stale suite with --embedder on a real Ollama server (a synthetic
// random-weight model), through Ollama's API and its OpenAI-compatible one: the figures of `memsvc bench` can be measured with any embedder the
// service can run, and the result names the one used. A malformed --embedder is refused before
// anything runs.
func TestBenchWithOllama(t *testing.T) {
	ctx := context.Background()
	var out strings.Builder
	err := runBench(ctx, []string{"stale", "--embedder", "ollama:", "--quiet"}, &out, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "want builtin or ollama:<model>") {
		t.Fatalf("--embedder ollama: (no model): got %v", err)
	}

	srv := ollamatest.Start(t)
	if err := srv.CreateEmbedModel(ctx, "synthetic-bert", ollamatest.BertSpec{Hidden: 64, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	// The same model through Ollama's API and through its OpenAI-compatible one.
	for _, spec := range []string{"ollama:synthetic-bert", "openai:synthetic-bert"} {
		out.Reset()
		if err := runBench(ctx, []string{"stale", "--embedder", spec, "--ollama-url", srv.URL, "--openai-url", srv.URL + "/v1",
			"--subjects", "2", "--per-agent", "2", "--updates", "2", "--decoys", "1", "--noise", "1",
			"--modes", "hybrid", "--variants", "unkeyed-inorder", "--json", "--quiet"}, &out, io.Discard); err != nil {
			t.Fatalf("%s: %v", spec, err)
		}
		var res struct {
			Embedder string `json:"embedder"`
			Passages int    `json:"passages"`
			Queries  int    `json:"queries"`
		}
		if err := json.Unmarshal([]byte(out.String()), &res); err != nil {
			t.Fatalf("%s: %v: %s", spec, err, out.String())
		}
		if !strings.Contains(res.Embedder, "synthetic-bert") || res.Passages == 0 || res.Queries == 0 {
			t.Fatalf("%s: result %+v", spec, res)
		}
	}
}
