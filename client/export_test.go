package client_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/memsvc/memsvc/api"
	"github.com/memsvc/memsvc/archival"
	"github.com/memsvc/memsvc/client"
	"github.com/memsvc/memsvc/pager"
	"github.com/memsvc/memsvc/state"
)

// raw sends one request with a key and returns the answer's bytes.
func raw(t *testing.T, base, key, method, path, body string) []byte {
	t.Helper()
	req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+key)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, data)
	}
	return data
}

// TestExportImportRoundTrip exports an agent with history, evictions, keyed and invalidated
// passages, imports it into a fresh server, and checks that ten archival searches, recall
// searches, the context, the history and the blocks answer byte for byte the same, on both
// stores.
func TestExportImportRoundTrip(t *testing.T) {
	forEachStore(t, func(t *testing.T, src *server) {
		ctx := context.Background()
		dst := newServer(t, strings.TrimPrefix(t.Name(), "TestExportImportRoundTrip/"))
		srcKey, dstKey := src.key(t, "acme", false), dst.key(t, "zeta", false)
		c := client.New(src.url, client.WithAPIKey(srcKey))
		d := client.New(dst.url, client.WithAPIKey(dstKey))

		a := must[pager.AgentView](t, "create")(c.CreateAgent(ctx, pager.AgentSpec{Name: "ada", System: "You help Ada.", ContextWindow: 2000,
			Blocks: []state.Block{{Label: "human", Value: "Name: Ada.", Limit: 500}, {Label: "persona", Value: "Helpful.", Limit: 500}}}))
		id := a.ID
		for i := range 40 {
			must[pager.AppendResult](t, "append")(c.Append(ctx, id,
				pager.MessageInput{Role: "user", Content: fmt.Sprintf("Turn %d: I planted %d tulips and read chapter %d of Proust.", i, i*3, i)},
				pager.MessageInput{Role: "assistant", Content: fmt.Sprintf("Noted turn %d.", i)}))
		}
		old := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
		newer := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
		must[archival.Passage](t, "insert")(c.InsertPassage(ctx, id, pager.PassageInput{Text: "Ada lives in Lyon.", Key: "ada/city", ValidFrom: &old}))
		must[archival.Passage](t, "insert")(c.InsertPassage(ctx, id, pager.PassageInput{Text: "Ada lives in Paris.", Key: "ada/city", ValidFrom: &newer}))
		ps := must[[]archival.Passage](t, "batch")(c.InsertPassages(ctx, id, []pager.PassageInput{
			{Text: "Ada keeps bees on her roof.", Tags: []string{"hobby"}}, {Text: "Ada drives a red Volvo."},
			{Text: "Ada is allergic to peanuts.", Metadata: map[string]any{"from": "doctor"}}, {Text: "Ada's sister Mia is a pilot."},
			{Text: "Ada works at the Lyon observatory.", Source: "import"}}))
		must[archival.Passage](t, "invalidate")(c.Invalidate(ctx, id, ps[1].ID, "sold the car", ""))
		must[state.Block](t, "put")(c.PutBlock(ctx, id, "human", pager.BlockInput{Value: ptr("Name: Ada. Lives in Paris.")}))

		doc := must[pager.Export](t, "export")(c.ExportAgent(ctx, id))
		evicted := 0
		for _, m := range doc.Messages {
			if !m.InContext {
				evicted++
			}
		}
		if doc.Format != pager.ExportFormat || doc.Version != 1 || len(doc.Messages) < 80 || evicted == 0 || len(doc.Passages) != 7 || len(doc.Blocks) != 2 {
			t.Fatalf("export: format %q v%d, %d messages (%d evicted), %d passages, %d blocks", doc.Format, doc.Version, len(doc.Messages), evicted, len(doc.Passages), len(doc.Blocks))
		}
		for _, p := range doc.Passages {
			if len(p.Vector) == 0 || len(p.History) == 0 {
				t.Fatalf("passage %s exported without its vector or history", p.ID)
			}
		}
		// Through JSON, as a file would carry it.
		b, _ := json.Marshal(doc)
		var back pager.Export
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		v := must[pager.AgentView](t, "import")(d.ImportAgent(ctx, back))
		if v.ID != id || v.Tenant != "zeta" {
			t.Errorf("imported agent %s of tenant %s, want %s of zeta", v.ID, v.Tenant, id)
		}
		if _, err := d.ImportAgent(ctx, back); !errors.Is(err, client.ErrConflict) {
			t.Errorf("second import: %v, want conflict", err)
		}

		// Recall's dense half needs the messages' vectors, which serve embeds in the background.
		if _, err := src.svc.EmbedPending(ctx); err != nil {
			t.Fatal(err)
		}
		same := func(method, path, body string) {
			t.Helper()
			x, y := raw(t, src.url, srcKey, method, path, body), raw(t, dst.url, dstKey, method, path, body)
			if !bytes.Equal(x, y) {
				t.Errorf("%s %s %s differs after import:\n src %s\n dst %s", method, path, body, x, y)
			}
		}
		base := "/v1/agents/" + id
		for _, q := range []string{"Where does Ada live?", "bees", "What car does Ada drive?", "allergy peanuts",
			"Who is Mia?", "observatory job", "tulips", "Proust chapter", "Ada's city in 2024", "pilot sister"} {
			same("POST", base+"/archival/search", fmt.Sprintf(`{"query": %q, "k": 5}`, q))
		}
		same("POST", base+"/archival/search", `{"query": "Volvo", "include_invalid": true}`)
		same("POST", base+"/archival/search", `{"query": "Where does Ada live?", "as_of": "2024-06-01T00:00:00Z"}`)
		for _, q := range []string{"tulips", "chapter 3", "Noted turn 7"} {
			same("POST", base+"/recall/search", fmt.Sprintf(`{"query": %q, "k": 5}`, q))
		}
		same("GET", base+"/context", "")
		same("GET", base+"/messages?limit=1000", "")
		same("GET", base+"/blocks", "")
		same("GET", base+"/summaries", "")
		// The imported agent goes on paging like the original.
		if _, err := d.Append(ctx, id, pager.MessageInput{Role: "user", Content: "One more turn."}); err != nil {
			t.Fatal(err)
		}

		// Bad documents are refused with what is wrong, and leave nothing.
		bad := back
		bad.Version = 2
		if _, err := d.ImportAgent(ctx, bad); !errors.Is(err, client.ErrInvalidArgument) || !strings.Contains(err.Error(), "version") {
			t.Errorf("version 2: %v", err)
		}
		bad = back
		bad.Agent.ID = "ag_other"
		bad.Passages = append([]pager.ExportPassage(nil), back.Passages...)
		bad.Passages[3].Status = "maybe"
		if _, err := d.ImportAgent(ctx, bad); !errors.Is(err, client.ErrInvalidArgument) || !strings.Contains(err.Error(), "passages[3]") {
			t.Errorf("bad status: %v", err)
		}
		if _, err := d.GetAgent(ctx, "ag_other"); !errors.Is(err, client.ErrNotFound) {
			t.Errorf("a refused import left its agent: %v", err)
		}
	})
}

// TestImportLetta imports a Letta Agent File written by hand from Letta's AgentFileSchema, on
// both stores: the blocks, the messages (evicted and in context), the passages and the mapping
// of what has no equivalent.
func TestImportLetta(t *testing.T) {
	af, err := os.ReadFile("../pager/testdata/letta-agent.af")
	if err != nil {
		t.Fatal(err)
	}
	forEachStore(t, func(t *testing.T, s *server) {
		ctx := context.Background()
		c := client.New(s.url, client.WithAPIKey(s.key(t, "acme", false)))
		v := must[pager.AgentView](t, "import")(c.ImportLetta(ctx, af))
		if v.Name != "Ada's companion" || !strings.HasPrefix(v.System, "You are a helpful companion") || v.ContextWindow != 32000 || v.Tenant != "acme" {
			t.Errorf("agent %+v", v.Agent)
		}
		var meta struct {
			Letta map[string]any `json:"letta"`
		}
		if err := json.Unmarshal(v.Metadata, &meta); err != nil || meta.Letta["model"] != "gpt-4o-mini" || meta.Letta["id"] != "agent-0" {
			t.Errorf("metadata %s (%v)", v.Metadata, err)
		}
		if len(v.Blocks) != 2 || v.Blocks[0].Label != "human" || v.Blocks[0].Value != "Name: Ada. Keeps bees in Lyon." ||
			v.Blocks[1].Label != "persona" || !v.Blocks[1].ReadOnly {
			t.Errorf("blocks %+v", v.Blocks)
		}
		msgs := must[api.List[state.Message]](t, "messages")(c.Messages(ctx, v.ID, client.Page{}))
		if len(msgs.Items) != 5 {
			t.Fatalf("%d messages, want 5 (the leading system prompt dropped): %+v", len(msgs.Items), msgs.Items)
		}
		m := msgs.Items
		if m[0].Role != "user" || m[0].InContext || m[1].InContext || !m[2].InContext || !m[4].InContext {
			t.Errorf("roles and context: %+v", m)
		}
		if m[1].Content != "Lovely! I'll remember your bees." || !strings.Contains(string(m[1].ToolCalls), "core_memory_append") {
			t.Errorf("assistant message %+v", m[1])
		}
		if m[2].Role != "tool" || m[2].ToolCallID != "call-1" || m[2].Name != "core_memory_append" || m[3].Content != "I just moved to Paris, by the way." {
			t.Errorf("tool and user messages %+v %+v", m[2], m[3])
		}
		if !m[3].CreatedAt.Equal(time.Date(2025, 4, 10, 18, 30, 0, 0, time.UTC)) {
			t.Errorf("created_at %v", m[3].CreatedAt)
		}
		if hits := must[[]pager.RecallHit](t, "recall")(c.SearchRecall(ctx, v.ID, pager.RecallQuery{Query: "bees roof"})); len(hits) == 0 || hits[0].Message.InContext {
			t.Errorf("the evicted message is not found by recall: %+v", hits)
		}
		hits := must[[]pager.ArchivalHit](t, "search")(c.SearchArchival(ctx, v.ID, pager.ArchivalQuery{Query: "Who is Mia?"}))
		if len(hits) != 1 || hits[0].Passage.Source != archival.SourceImport || hits[0].Passage.Tags[0] != "family" {
			t.Errorf("passages %+v", hits)
		}
		if ctxv := must[pager.ContextView](t, "context")(c.Context(ctx, v.ID, "")); len(ctxv.Messages) < 3 || !strings.Contains(ctxv.System, "Keeps bees") {
			t.Errorf("context %+v", ctxv)
		}
		// Not a Letta file, and a file of two agents: refused, nothing stored.
		for _, bad := range []string{`{"hello": 1}`, `{"agents": [{"name": "a"}, {"name": "b"}], "blocks": []}`, `[1, 2]`} {
			if _, err := c.ImportLetta(ctx, []byte(bad)); !errors.Is(err, client.ErrInvalidArgument) {
				t.Errorf("%s: %v", bad, err)
			}
		}
		if l := must[api.List[state.Agent]](t, "agents")(c.ListAgents(ctx, client.Page{})); len(l.Items) != 1 {
			t.Errorf("%d agents after refused imports", len(l.Items))
		}
	})
}
