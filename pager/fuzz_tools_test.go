package pager

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/memsvc/memsvc/archival/memarchival"
	"github.com/memsvc/memsvc/embed"
	"github.com/memsvc/memsvc/sqlitedb"
	"github.com/memsvc/memsvc/state"
	"github.com/memsvc/memsvc/state/sqlitestate"
)

// FuzzToolCall feeds arbitrary arguments (an object, a string holding one, or anything else) to
// every memory tool, recorded or not, over a real embedded store. A tool call never panics, and
// never fails with an internal error: a bad argument is content for the model (IsError), and the
// only errors are the caller's (*Error, such as a recording too large for the window).
func FuzzToolCall(f *testing.F) {
	ctx := state.WithTenant(context.Background(), state.DefaultTenant)
	db, err := sqlitedb.Open(ctx, f.TempDir())
	if err != nil {
		f.Fatal(err)
	}
	st := sqlitestate.New(db)
	f.Cleanup(func() { st.Close() })
	emb := embed.NewBuiltin()
	arch, err := memarchival.New(ctx, db, emb.Dim())
	if err != nil {
		f.Fatal(err)
	}
	svc, err := New(Config{Store: st, Archival: arch, Embedder: emb, Now: func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }})
	if err != nil {
		f.Fatal(err)
	}
	a, err := svc.CreateAgent(ctx, AgentSpec{Name: "fuzz", ContextWindow: 8192,
		Blocks: []state.Block{{Label: "human", Value: "Alice."}, {Label: "persona", Value: "bot", ReadOnly: true}}})
	if err != nil {
		f.Fatal(err)
	}
	p, err := svc.InsertPassage(ctx, a.ID, PassageInput{Text: "Alice lives in Paris.", Key: "alice/city"})
	if err != nil {
		f.Fatal(err)
	}
	for i, seed := range []string{
		`{"content": "Alice moved to Rome.", "key": "alice/city", "valid_from": "2025-01-01T00:00:00Z", "tags": ["t"]}`,
		`{"query": "Alice", "page": 3}`, `{"query": "x", "page": -1}`,
		`{"label": "human", "content": "likes tea"}`, `{"label": "persona", "old_content": "bot", "new_content": "evil"}`,
		`{"passage_id": "` + p.ID + `", "reason": "moved", "superseded_by": "` + p.ID + `"}`,
		`"{\"query\": \"Alice\"}"`, `"not json"`, `null`, `[1, 2]`, `{"content": 5}`, `{"bogus": true}`, ``,
		`{"label": "human", "content": "` + string(make([]byte, 10)) + `"}`, `{"content": "\ud800"}`,
	} {
		f.Add(uint8(i), []byte(seed), i%3 == 0)
	}
	names := append(append([]string{}, Actions...), "", "not_a_tool", "core_memory_append\x00")
	f.Fuzz(func(t *testing.T, which uint8, args []byte, record bool) {
		call := ToolCall{Name: names[int(which)%len(names)], Arguments: json.RawMessage(args), Record: record}
		if !json.Valid(args) && len(args) > 0 {
			// The API decodes arguments as part of a JSON body, so they are always valid JSON;
			// send invalid ones as a string holding them, as OpenAI does.
			b, _ := json.Marshal(string(args))
			call.Arguments = b
		}
		res, err := svc.CallTool(ctx, a.ID, call)
		var pe *Error
		if err != nil && !errors.As(err, &pe) {
			t.Fatalf("CallTool(%s, %q): internal error %v", call.Name, args, err)
		}
		if err != nil {
			return
		}
		if !utf8.ValidString(res.Content) || len(res.Content) > MaxToolContentSize+len("… [truncated]") {
			t.Fatalf("CallTool(%s, %q): content of %d bytes, valid UTF-8 %v", call.Name, args, len(res.Content), utf8.ValidString(res.Content))
		}
		if _, err := json.Marshal(res); err != nil {
			t.Fatalf("the result does not encode: %v", err)
		}
	})
}
