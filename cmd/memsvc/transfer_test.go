package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestExportImportCommands runs the command line end to end on two real servers with fresh data
// directories: a transcript streamed in with `memsvc import --transcript` (progress on stderr),
// passages, `memsvc export` of the agent, `memsvc import` into the second server, and the same ten
// archival searches answered byte for byte alike by both; then a Letta .af imported the same way.
func TestExportImportCommands(t *testing.T) {
	bin := buildBinary(t)
	_, a := startProcess(t, bin, "--data", t.TempDir())
	_, b := startProcess(t, bin, "--data", t.TempDir())
	run := func(args ...string) (string, string) {
		t.Helper()
		cmd := exec.Command(bin, args...)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("memsvc %v: %v\n%s", args, err, stderr.String())
		}
		return stdout.String(), stderr.String()
	}

	var agent struct{ ID string }
	if st := a.do("POST", "/v1/agents", map[string]any{"name": "ada", "context_window": 2000,
		"blocks": []map[string]any{{"label": "human", "value": "Name: Ada.", "limit": 500}}}, &agent); st != http.StatusCreated {
		t.Fatalf("create agent: %d", st)
	}
	dir := t.TempDir()
	var lines []string
	for i := range 30 {
		lines = append(lines, fmt.Sprintf(`{"role": "user", "content": "Turn %d: I planted %d tulips by the observatory."}`, i, i*2),
			fmt.Sprintf(`{"role": "assistant", "content": "Noted turn %d."}`, i))
	}
	transcript := filepath.Join(dir, "transcript.jsonl")
	if err := os.WriteFile(transcript, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, progress := run("import", "--url", a.base, "--agent", agent.ID, "--transcript", transcript, "--batch", "16")
	if !strings.Contains(progress, "60/60 messages") || !strings.Contains(progress, "appended 60 messages") {
		t.Errorf("transcript progress: %q", progress)
	}
	var page struct{ Items []any }
	if a.do("GET", "/v1/agents/"+agent.ID+"/messages?limit=1000", nil, &page); len(page.Items) < 60 {
		t.Errorf("%d messages after the transcript, want 60 or more", len(page.Items))
	}
	passages := []map[string]any{
		{"text": "Ada lives in Lyon.", "key": "ada/city", "valid_from": "2024-01-01T00:00:00Z"},
		{"text": "Ada lives in Paris.", "key": "ada/city", "valid_from": "2025-06-01T00:00:00Z"},
		{"text": "Ada keeps bees on her roof.", "tags": []string{"hobby"}}, {"text": "Ada drives a red Volvo."},
		{"text": "Ada is allergic to peanuts."}, {"text": "Ada's sister Mia is a pilot."},
		{"text": "Ada works at the Lyon observatory.", "source": "import"},
	}
	if st := a.do("POST", "/v1/agents/"+agent.ID+"/archival/batch", map[string]any{"passages": passages}, nil); st != http.StatusCreated {
		t.Fatalf("batch: %d", st)
	}

	exported := filepath.Join(dir, "ada.json")
	run("export", "--url", a.base, "--agent", agent.ID, "--out", exported)
	out, _ := run("import", "--url", b.base, exported)
	if strings.TrimSpace(out) != agent.ID {
		t.Fatalf("import printed %q, want the agent ID %s", out, agent.ID)
	}
	post := func(base, path, body string) []byte {
		t.Helper()
		resp, err := http.Post(base+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("POST %s: %d %s", path, resp.StatusCode, data)
		}
		return data
	}
	for _, q := range []string{"Where does Ada live?", "bees", "What car does Ada drive?", "allergy", "Who is Mia?",
		"observatory job", "tulips", "Lyon", "Ada's city in 2024", "pilot sister"} {
		body := fmt.Sprintf(`{"query": %q, "k": 5}`, q)
		x, y := post(a.base, "/v1/agents/"+agent.ID+"/archival/search", body), post(b.base, "/v1/agents/"+agent.ID+"/archival/search", body)
		if !bytes.Equal(x, y) {
			t.Errorf("search %q differs after export and import:\n%s\n%s", q, x, y)
		}
	}

	out, _ = run("import", "--url", b.base, "../../pager/testdata/letta-agent.af")
	var letta struct{ Blocks []struct{ Label string } }
	if b.do("GET", "/v1/agents/"+strings.TrimSpace(out), nil, &letta); len(letta.Blocks) != 2 {
		t.Errorf("the Letta agent: %+v", letta)
	}
}
