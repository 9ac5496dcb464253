package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// testMain starts Main on 127.0.0.1:0 with dir as its data directory.
func testMain(t *testing.T, dir string) *Main {
	t.Helper()
	m := NewMain(io.Discard)
	if err := m.ParseFlags([]string{"--addr", "127.0.0.1:0", "--data", dir}); err != nil {
		t.Fatal(err)
	}
	if err := m.Run(context.Background()); err != nil {
		m.Close()
		t.Fatal(err)
	}
	return m
}

type client struct {
	t    *testing.T
	base string
}

// do sends a JSON request and decodes the answer into out (when not nil), returning the status.
func (c client) do(method, path string, body, out any) int {
	c.t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			c.t.Fatal(err)
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.base+path, r)
	if err != nil {
		c.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			c.t.Fatalf("%s %s: decode %q: %v", method, path, data, err)
		}
	}
	return resp.StatusCode
}

type appendAnswer struct {
	Messages []struct {
		ID  string `json:"id"`
		Seq int64  `json:"seq"`
	} `json:"messages"`
	Context struct {
		Tokens, Window int
	} `json:"context"`
	Events []struct {
		Type       string `json:"type"`
		Count      int    `json:"count"`
		ThroughSeq int64  `json:"through_seq"`
		SummaryID  string `json:"summary_id"`
		JobID      string `json:"job_id"`
	} `json:"events"`
}

type jobAnswer struct {
	ID         string   `json:"id"`
	AgentID    string   `json:"agent_id"`
	Status     string   `json:"status"`
	SummaryID  string   `json:"summary_id"`
	TokensIn   int      `json:"tokens_in"`
	TokensOut  int      `json:"tokens_out"`
	Error      string   `json:"error"`
	Retention  *float64 `json:"retention"`
	Attempts   int      `json:"attempts"`
	ThroughSeq int64    `json:"through_seq"`
	CoveredBy  string   `json:"covered_by"`
}

// waitJobs polls GET /v1/compactions/{id} until every job finished, and returns them.
func waitJobs(c client, ids []string, timeout time.Duration) []jobAnswer {
	c.t.Helper()
	deadline := time.Now().Add(timeout)
	out := make([]jobAnswer, len(ids))
	for i, id := range ids {
		for {
			var j jobAnswer
			if st := c.do("GET", "/v1/compactions/"+id, nil, &j); st != 200 {
				c.t.Fatalf("GET compaction %s: %d", id, st)
			}
			if j.Status == "succeeded" || j.Status == "failed" {
				out[i] = j
				break
			}
			if time.Now().After(deadline) {
				c.t.Fatalf("compaction %s did not finish in %v: %+v", id, timeout, j)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	return out
}

func createAgent(c client, window int) string {
	c.t.Helper()
	var agent struct{ ID string }
	st := c.do("POST", "/v1/agents", map[string]any{
		"name": "e2e", "system": "You are a helpful assistant.", "context_window": window, "tools_in_context": false,
		"blocks": []map[string]any{
			{"label": "human", "value": "Name: Sam.", "limit": 200},
			{"label": "persona", "value": "I am a careful assistant.", "limit": 200, "read_only": true},
		},
	}, &agent)
	if st != 201 || agent.ID == "" {
		c.t.Fatalf("create agent: %d %+v", st, agent)
	}
	return agent.ID
}

// TestEndToEndPagingSurvivesRestart drives an agent with a 1,200-token window through overflow over
// HTTP, then restarts the service on the same data directory.
func TestEndToEndPagingSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	m := testMain(t, dir)
	c := client{t, "http://" + m.Addr()}
	id := createAgent(c, 1200)

	var pressure, evicted int
	var jobs []string
	for i := range 80 {
		var a appendAnswer
		st := c.do("POST", "/v1/agents/"+id+"/messages", map[string]any{"messages": []map[string]any{{
			"role": "user", "content": fmt.Sprintf("Note %d: the parcel for order %d goes to dock %d; remember the password tulip%d.", i, 1000+i, i%7, i),
		}}}, &a)
		if st != 200 {
			t.Fatalf("append %d: status %d", i, st)
		}
		if a.Context.Tokens > a.Context.Window {
			t.Fatalf("append %d: %d tokens in a %d window", i, a.Context.Tokens, a.Context.Window)
		}
		for _, e := range a.Events {
			switch e.Type {
			case "memory_pressure":
				pressure++
			case "evicted":
				evicted++
			case "compaction_queued":
				jobs = append(jobs, e.JobID)
			case "summarized":
				t.Fatalf("append %d summarized synchronously", i)
			}
		}
	}
	if pressure == 0 || evicted == 0 || len(jobs) != evicted {
		t.Fatalf("events: memory_pressure=%d evicted=%d compaction_queued=%d", pressure, evicted, len(jobs))
	}
	// The summaries are made in the background: wait for the jobs.
	for _, j := range waitJobs(c, jobs, 30*time.Second) {
		if j.Status != "succeeded" || j.SummaryID == "" || j.AgentID != id {
			t.Fatalf("compaction job: %+v", j)
		}
	}
	var requested jobAnswer
	if st := c.do("POST", "/v1/agents/"+id+"/compactions", nil, &requested); st != 202 || requested.ID == "" || requested.Status != "queued" {
		t.Fatalf("POST compactions: %d %+v", st, requested)
	}
	waitJobs(c, []string{requested.ID}, 30*time.Second)

	var ctxView struct {
		Messages []map[string]any `json:"messages"`
		Tokens   map[string]int   `json:"tokens"`
		Summary  *struct{ ID string }
	}
	if st := c.do("GET", "/v1/agents/"+id+"/context", nil, &ctxView); st != 200 {
		t.Fatalf("context: %d", st)
	}
	if ctxView.Tokens["total"] > 1200 || ctxView.Tokens["window"] != 1200 || ctxView.Summary == nil {
		t.Fatalf("context view: %+v", ctxView.Tokens)
	}
	for _, k := range []string{"system", "blocks", "tools", "summary", "messages", "total", "window"} {
		if _, ok := ctxView.Tokens[k]; !ok {
			t.Fatalf("context tokens lack %q: %+v", k, ctxView.Tokens)
		}
	}

	check := func(c client) {
		t.Helper()
		var recall struct {
			Results []struct {
				Message struct {
					Content   string `json:"content"`
					InContext bool   `json:"in_context"`
				} `json:"message"`
			} `json:"results"`
		}
		if st := c.do("POST", "/v1/agents/"+id+"/recall/search", map[string]any{"query": "password tulip2"}, &recall); st != 200 {
			t.Fatalf("recall: %d", st)
		}
		if len(recall.Results) == 0 || !strings.Contains(recall.Results[0].Message.Content, "tulip2.") || recall.Results[0].Message.InContext {
			t.Fatalf("recall of an evicted message: %+v", recall.Results)
		}
		var arch struct {
			Results []struct {
				Passage struct {
					Source string `json:"source"`
					Text   string `json:"text"`
				} `json:"passage"`
			} `json:"results"`
		}
		// A job pages its summary out to archival just after committing it.
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			if st := c.do("POST", "/v1/agents/"+id+"/archival/search", map[string]any{"query": "parcel order dock password", "tags": []string{"summary"}}, &arch); st != 200 {
				t.Fatalf("archival search: %d", st)
			}
			if len(arch.Results) > 0 && arch.Results[0].Passage.Source == "compaction" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("no compaction summary in archival: %+v", arch.Results)
			}
		}
		var tool struct {
			Content string `json:"content"`
		}
		if st := c.do("POST", "/v1/agents/"+id+"/tool-calls", map[string]any{"name": "conversation_search",
			"arguments": map[string]any{"query": "tulip3"}}, &tool); st != 200 || !strings.Contains(tool.Content, "tulip3") {
			t.Fatalf("conversation_search tool: %d %q", st, tool.Content)
		}
		var hist struct {
			Items []struct{ Seq int64 } `json:"items"`
		}
		if st := c.do("GET", "/v1/agents/"+id+"/messages?limit=1000", nil, &hist); st != 200 {
			t.Fatalf("history: %d", st)
		}
		users := 0
		for i, m := range hist.Items {
			if m.Seq != int64(i+1) {
				t.Fatalf("history seq %d at %d", m.Seq, i)
			}
			users++
		}
		if users < 80 {
			t.Fatalf("history has %d messages, want at least 80", users)
		}
	}
	check(c)

	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	m2 := testMain(t, dir)
	defer m2.Close()
	check(client{t, "http://" + m2.Addr()})
}

func TestErrorsOverHTTP(t *testing.T) {
	m := testMain(t, t.TempDir())
	defer m.Close()
	c := client{t, "http://" + m.Addr()}
	id := createAgent(c, 1200)
	var e struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	post := func(path, body string) int {
		resp, err := http.Post(c.base+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		e.Error.Code, e.Error.Message = "", ""
		_ = json.NewDecoder(resp.Body).Decode(&e)
		return resp.StatusCode
	}
	tests := []struct {
		name, method, path string
		body               any
		raw                string
		status             int
		code               string
	}{
		{"malformed JSON", "POST", "/v1/agents/" + id + "/messages", nil, `{"messages": [`, 400, "invalid_argument"},
		{"unknown agent", "GET", "/v1/agents/ag_nope", nil, "", 404, "not_found"},
		{"over-limit block", "PUT", "/v1/agents/" + id + "/blocks/human", map[string]any{"value": strings.Repeat("x", 201)}, "", 422, "unprocessable"},
		{"read-only block", "PUT", "/v1/agents/" + id + "/blocks/persona", map[string]any{"value": "new"}, "", 403, "permission_denied"},
		{"oversized message", "POST", "/v1/agents/" + id + "/messages", map[string]any{"messages": []map[string]any{{"role": "user", "content": strings.Repeat("word ", 3000)}}}, "", 413, "too_large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var st int
			if tt.raw != "" {
				st = post(tt.path, tt.raw)
			} else {
				e.Error.Code = ""
				st = c.do(tt.method, tt.path, tt.body, &e)
			}
			if st != tt.status || e.Error.Code != tt.code || e.Error.Message == "" {
				t.Fatalf("status %d code %q message %q; want %d %q", st, e.Error.Code, e.Error.Message, tt.status, tt.code)
			}
		})
	}
	// Nothing stored changed.
	var hist struct{ Items []any }
	c.do("GET", "/v1/agents/"+id+"/messages", nil, &hist)
	var block struct{ Value string }
	c.do("GET", "/v1/agents/"+id+"/blocks/persona", nil, &block)
	if len(hist.Items) != 0 || block.Value != "I am a careful assistant." {
		t.Fatalf("a refused request changed state: %d messages, persona %q", len(hist.Items), block.Value)
	}
}

// TestKillNineKeepsAcknowledgedMessages runs the real binary, appends from a stream, kills it with
// SIGKILL mid-stream, restarts it and checks every acknowledged message is there, in order.
func TestKillNineKeepsAcknowledgedMessages(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildBinary(t)
	dir := t.TempDir()
	start := func() (*exec.Cmd, client) { return startProcess(t, bin, "--data", dir) }
	cmd, c := start()
	id := createAgent(c, 1200)
	var acked []string
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; ; i++ {
			b, _ := json.Marshal(map[string]any{"messages": []map[string]any{{"role": "user", "content": fmt.Sprintf("stream message %d about topic %d", i, i)}}})
			resp, err := http.Post(c.base+"/v1/agents/"+id+"/messages", "application/json", bytes.NewReader(b))
			if err != nil {
				return
			}
			var a appendAnswer
			err = json.NewDecoder(resp.Body).Decode(&a)
			resp.Body.Close()
			if err != nil || resp.StatusCode != 200 {
				return
			}
			acked = append(acked, a.Messages[0].ID)
		}
	}()
	time.Sleep(1500 * time.Millisecond)
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-done
	_ = cmd.Wait()
	if len(acked) < 10 {
		t.Fatalf("only %d appends acknowledged before the kill", len(acked))
	}
	cmd2, c2 := start()
	defer func() { cmd2.Process.Signal(os.Interrupt); cmd2.Wait() }()
	// The whole history, page by page: more than one page may have been acknowledged.
	pos := map[string]int{}
	for i, m := range history(c2, id) {
		pos[m.ID] = i
		if m.Seq != int64(i+1) {
			t.Fatalf("seq %d at %d after restart", m.Seq, i)
		}
	}
	last := -1
	for _, id := range acked {
		p, ok := pos[id]
		if !ok {
			t.Fatalf("acknowledged message %s lost after kill -9 (%d acknowledged)", id, len(acked))
		}
		if p <= last {
			t.Fatalf("acknowledged message %s out of order", id)
		}
		last = p
	}
	t.Logf("%d acknowledged messages, all present after kill -9", len(acked))
}

// buildBinary builds memsvc into a temp dir once per test.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "memsvc")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

// startProcess runs `memsvc serve --addr 127.0.0.1:0 args…` and waits for its "serving" log line,
// which says where it listens. The process is killed when the test ends if still running.
func startProcess(t *testing.T, bin string, args ...string) (*exec.Cmd, client) {
	t.Helper()
	return startProcessEnv(t, bin, nil, args...)
}

// startProcessEnv is startProcess with env added to the process's environment.
func startProcessEnv(t *testing.T, bin string, env []string, args ...string) (*exec.Cmd, client) {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...)...)
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	lines := make(chan string, 1024) // buffered: a line sent while the reader is busy must not be dropped
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			default:
			}
		}
		close(lines)
	}()
	timeout := time.After(60 * time.Second)
	var seen []string
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatalf("memsvc exited before serving:\n%s", strings.Join(seen, "\n"))
			}
			seen = append(seen, line)
			if strings.Contains(line, "memsvc serving") {
				_, rest, _ := strings.Cut(line, "addr=")
				addr, _, _ := strings.Cut(rest, " ")
				return cmd, client{t, "http://" + addr}
			}
		case <-timeout:
			t.Fatalf("memsvc did not start:\n%s", strings.Join(seen, "\n"))
		}
	}
}

// TestProviderFlags checks which --embedder and --summarizer values start-up accepts: builtin
// (and, for the embedder, the other compiled-in ones) or <provider>:<model>, with a model, and
// openai only for the embedder.
func TestProviderFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		ok   bool
	}{
		{[]string{"--embedder", "builtin"}, true},
		{[]string{"--embedder", "ollama:nomic-embed-text"}, true},
		{[]string{"--embedder", "openai:text-embedding-3-small"}, true},
		{[]string{"--embedder", "ollama:"}, false},
		{[]string{"--embedder", "openai: "}, false},
		{[]string{"--embedder", "glove"}, true},
		{[]string{"--embedder", "use"}, true},
		{[]string{"--embedder", "glove+use"}, true},
		{[]string{"--embedder", "gloves"}, false},
		{[]string{"--embedder", "qdrant:x"}, false},
		{[]string{"--summarizer", "ollama:llama3"}, true},
		{[]string{"--summarizer", "openai:gpt"}, false},
	} {
		err := NewMain(io.Discard).ParseFlags(tc.args)
		if (err == nil) != tc.ok {
			t.Errorf("%v: err = %v, want ok %v", tc.args, err, tc.ok)
		}
		if err != nil && !strings.Contains(err.Error(), "want builtin or ollama:<model>") {
			t.Errorf("%v: error %q does not say what is accepted", tc.args, err)
		}
	}
}
