package main

import (
	"context"
	"io"
	"testing"

	"github.com/memsvc/memsvc/archival/qdrantarchival/qdranttest"
)

// TestQdrantArchival serves with --archival qdrant://… (the protocol test server, not a Qdrant):
// a passage inserted over HTTP lands in Qdrant and is the top hit of a search.
func TestQdrantArchival(t *testing.T) {
	srv := qdranttest.Start(t)
	m := NewMain(io.Discard)
	if err := m.ParseFlags([]string{"--addr", "127.0.0.1:0", "--data", t.TempDir(), "--archival", "qdrant://" + srv.Addr}); err != nil {
		t.Fatal(err)
	}
	if err := m.Run(context.Background()); err != nil {
		m.Close()
		t.Fatal(err)
	}
	defer m.Close()
	c := client{t, "http://" + m.Addr()}
	var agent struct{ ID string }
	if st := c.do("POST", "/v1/agents", map[string]any{"name": "q", "context_window": 4000}, &agent); st != 201 {
		t.Fatalf("create agent: %d", st)
	}
	var p struct{ ID string }
	if st := c.do("POST", "/v1/agents/"+agent.ID+"/archival", map[string]any{"text": "The lighthouse keeper's name is Morwenna Tregarthen."}, &p); st != 201 {
		t.Fatalf("insert passage: %d", st)
	}
	if srv.PointCount("memsvc_passages") != 1 {
		t.Fatal("the passage is not in Qdrant")
	}
	var res struct {
		Results []struct{ Passage struct{ ID string } } `json:"results"`
	}
	if st := c.do("POST", "/v1/agents/"+agent.ID+"/archival/search", map[string]any{"query": "who keeps the lighthouse?"}, &res); st != 200 ||
		len(res.Results) == 0 || res.Results[0].Passage.ID != p.ID {
		t.Fatalf("search: %d %+v, want %s first", st, res.Results, p.ID)
	}
	var ready struct{}
	if st := c.do("GET", "/readyz", nil, &ready); st != 200 {
		t.Fatalf("readyz: %d", st)
	}
	srv.SetDown(true)
	if st := c.do("POST", "/v1/agents/"+agent.ID+"/archival/search", map[string]any{"query": "lighthouse"}, nil); st != 503 {
		t.Fatalf("search with Qdrant down: %d, want 503", st)
	}
}

func TestArchivalFlag(t *testing.T) {
	m := NewMain(io.Discard)
	if err := m.ParseFlags([]string{"--archival", "http://localhost:6334"}); err == nil {
		t.Fatal("--archival http://… accepted")
	}
	m = NewMain(io.Discard)
	if err := m.ParseFlags([]string{"--archival", "qdrant://localhost:6334/mem"}); err != nil {
		t.Fatal(err)
	}
}
