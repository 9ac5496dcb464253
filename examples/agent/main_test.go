package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/memsvc/memsvc/api"
	"github.com/memsvc/memsvc/client"
	"github.com/memsvc/memsvc/pager"
	"github.com/memsvc/memsvc/pager/pagertest"
)

// memsvcServer is a real memsvc API on the embedded store.
func memsvcServer(t *testing.T) string {
	t.Helper()
	var srv *api.Server
	svc, st := pagertest.Embedded(t, func(c *pager.Config) {
		c.OnEvent = func(id string, e pager.Event) { srv.RecordEvent(id, e) }
	})
	srv = api.New(api.Config{Memory: svc, Idempotency: st, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	return hs.URL
}

// scriptedChat is an OpenAI-compatible chat endpoint that answers from a script and records
// what it was sent. It checks the protocol, not what a model would say.
type scriptedChat struct {
	mu       sync.Mutex
	replies  []string // raw JSON of choices[0].message
	requests []map[string]any
}

func (s *scriptedChat) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var req map[string]any
	if r.URL.Path != "/v1/chat/completions" || json.NewDecoder(r.Body).Decode(&req) != nil || len(s.replies) == 0 {
		http.Error(w, "unexpected request", http.StatusBadRequest)
		return
	}
	s.requests = append(s.requests, req)
	reply := s.replies[0]
	s.replies = s.replies[1:]
	w.Header().Set("Content-Type", "application/json")
	io.WriteString(w, `{"choices": [{"index": 0, "message": `+reply+`, "finish_reason": "stop"}]}`)
}

func TestChatLoopUsesMemory(t *testing.T) {
	base := memsvcServer(t)
	chat := &scriptedChat{replies: []string{
		`{"role": "assistant", "content": "", "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "archival_memory_insert", "arguments": "{\"content\": \"The user's name is Ada and she keeps bees.\"}"}}]}`,
		`{"role": "assistant", "content": "Nice to meet you, Ada."}`,
		`{"role": "assistant", "content": "", "tool_calls": [{"id": "call_2", "type": "function", "function": {"name": "archival_memory_search", "arguments": "{\"query\": \"user name bees\"}"}}]}`,
		`{"role": "assistant", "content": "You are Ada, and you keep bees."}`,
	}}
	llm := httptest.NewServer(chat)
	defer llm.Close()

	var out strings.Builder
	err := Run(context.Background(), Config{Memsvc: base, LLM: llm.URL + "/v1", Model: "synthetic"},
		strings.NewReader("Hi, I'm Ada and I keep bees.\nWho am I?\n"), &out)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "Nice to meet you, Ada.") || !strings.Contains(out.String(), "You are Ada, and you keep bees.") {
		t.Errorf("output %q", out.String())
	}
	if len(chat.requests) != 4 {
		t.Fatalf("%d chat requests, want 4", len(chat.requests))
	}
	first := chat.requests[0]
	if first["model"] != "synthetic" || len(first["tools"].([]any)) != len(pager.ToolDefs) {
		t.Errorf("first request: model %v, %d tools", first["model"], len(first["tools"].([]any)))
	}
	// The fourth request carries the search's result as a tool message, answering call_2.
	msgs := chat.requests[3]["messages"].([]any)
	last := msgs[len(msgs)-1].(map[string]any)
	if last["role"] != "tool" || last["tool_call_id"] != "call_2" || !strings.Contains(last["content"].(string), "keeps bees") {
		t.Errorf("last message of the fourth request: %v", last)
	}

	// memsvc kept every turn and the stored fact.
	agent := strings.TrimSuffix(strings.TrimPrefix(strings.SplitN(out.String(), "\n", 2)[0], "(memsvc agent "), ")")
	c := client.New(base)
	hist, err := c.Messages(context.Background(), agent, client.Page{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var roles []string
	for _, m := range hist.Items {
		roles = append(roles, m.Role)
	}
	if got := strings.Join(roles, " "); got != "user assistant tool assistant user assistant tool assistant" {
		t.Errorf("history roles %q", got)
	}
	hits, err := c.SearchArchival(context.Background(), agent, pager.ArchivalQuery{Query: "Ada bees"})
	if err != nil || len(hits) != 1 || hits[0].Passage.Source != "agent" {
		t.Errorf("stored fact: %v %+v", err, hits)
	}
}
