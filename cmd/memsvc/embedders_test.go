package main

import (
	"context"
	"io"
	"strings"
	"testing"
)

// TestServeWithUSE starts memsvc with --embedder use, stores and finds
// passages over HTTP, and checks that a restart on the same data directory
// with another embedder is refused rather than mixing vector spaces.
func TestServeWithUSE(t *testing.T) {
	dir := t.TempDir()
	start := func(embedder string) (*Main, error) {
		m := NewMain(io.Discard)
		if err := m.ParseFlags([]string{"--addr", "127.0.0.1:0", "--data", dir, "--embedder", embedder}); err != nil {
			t.Fatal(err)
		}
		if err := m.Run(context.Background()); err != nil {
			m.Close()
			return nil, err
		}
		return m, nil
	}
	m, err := start("use")
	if err != nil {
		t.Fatal(err)
	}
	c := client{t, "http://" + m.Addr()}
	id := createAgent(c, 4000)
	var want string
	for i, text := range []string{"Jon opened a dance studio downtown.", "Caroline lives in Berlin now.", "The grey cat is called Pixel."} {
		var p struct{ ID string }
		if st := c.do("POST", "/v1/agents/"+id+"/archival", map[string]any{"text": text}, &p); st != 201 {
			t.Fatalf("insert %q: %d", text, st)
		}
		if i == 1 {
			want = p.ID
		}
	}
	var res struct {
		Results []struct {
			Passage struct{ ID string }
		}
	}
	if st := c.do("POST", "/v1/agents/"+id+"/archival/search", map[string]any{"query": "Which city is Caroline living in?", "k": 3}, &res); st != 200 {
		t.Fatalf("search: %d", st)
	}
	if len(res.Results) == 0 || res.Results[0].Passage.ID != want {
		t.Fatalf("search: %+v, want %s first", res.Results, want)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	m, err = start("glove")
	if err == nil {
		m.Close()
		t.Fatal("restart with --embedder glove on a use store: no error")
	}
	if !strings.Contains(err.Error(), "dimension") {
		t.Fatalf("restart with another embedder: %v; want a dimension mismatch", err)
	}
}
