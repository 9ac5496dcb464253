package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/memsvc/memsvc/pager"
)

// tsClient returns the directory of the TypeScript MCP test client with its npm dependencies
// installed, and the node binary. It skips the test without them (scripts/setup-node installs
// both), and fails instead when MEMSVC_REQUIRE_NODE=1, as scripts/test sets.
func tsClient(t *testing.T) (dir, node string) {
	t.Helper()
	dir, err := filepath.Abs("../../mcpserver/testdata/tsclient")
	if err != nil {
		t.Fatal(err)
	}
	node, err = exec.LookPath("node")
	if err == nil {
		_, err = os.Stat(filepath.Join(dir, "node_modules", "@modelcontextprotocol", "sdk"))
	}
	if err != nil {
		if os.Getenv("MEMSVC_REQUIRE_NODE") == "1" {
			t.Fatalf("Node.js or the MCP SDK is missing but MEMSVC_REQUIRE_NODE=1: run scripts/setup-node (%v)", err)
		}
		t.Skipf("Node.js or the MCP SDK is missing (%v): run scripts/setup-node", err)
	}
	return dir, node
}

// runTSClient runs client.mjs with env and returns its JSON report; a failed check fails the test
// with the client's own message.
func runTSClient(t *testing.T, dir, node string, env map[string]string) map[string]any {
	t.Helper()
	cmd := exec.Command(node, "client.mjs")
	cmd.Dir = dir
	cmd.Env = os.Environ()
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("TypeScript MCP client (%s): %v\nstdout: %s\nstderr: %s", env["MODE"], err, stdout.String(), stderr.String())
		}
	case <-time.After(2 * time.Minute):
		cmd.Process.Kill()
		t.Fatalf("TypeScript MCP client (%s) hung\nstderr: %s", env["MODE"], stderr.String())
	}
	var report map[string]any
	if err := json.Unmarshal(bytes.TrimSpace(stdout.Bytes()), &report); err != nil {
		t.Fatalf("client report %q: %v", stdout.String(), err)
	}
	return report
}

// TestMCPTypeScriptClient drives memsvc's MCP server with the official TypeScript SDK client
// (npm @modelcontextprotocol/sdk) over both transports: Streamable HTTP at /mcp of a real
// `memsvc serve`, and stdio of `memsvc mcp`. Each lists the tools, calls every one, reads the
// resources and the prompt, and sees wrong keys refused (an unknown key, and over HTTP another
// tenant's valid key, whose tenant does not own the agent).
func TestMCPTypeScriptClient(t *testing.T) {
	dir, node := tsClient(t)
	bin := buildBinary(t)
	data := t.TempDir()
	newKey := func(tenant string) string {
		out, err := exec.Command(bin, "keys", "create", "--tenant", tenant, "--data", data).Output()
		if err != nil {
			t.Fatalf("keys create: %v", err)
		}
		return strings.TrimSpace(string(out))
	}
	key, otherKey := newKey("acme"), newKey("other")
	unknownKey := "msk_" + strings.Repeat("a", 12) + "_" + strings.Repeat("b", 43)

	proc, c := startProcess(t, bin, "--data", data)
	newAgent := func() string {
		body := `{"name": "mcp", "blocks": [{"label": "human", "value": "Name: Ada.", "limit": 2000}]}`
		req, _ := http.NewRequest("POST", c.base+"/v1/agents", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var a struct{ ID string }
		if err := json.NewDecoder(resp.Body).Decode(&a); err != nil || resp.StatusCode != http.StatusCreated {
			t.Fatalf("create agent: %d %v", resp.StatusCode, err)
		}
		return a.ID
	}
	httpAgent, stdioAgent := newAgent(), newAgent()
	var tools []string
	for _, d := range pager.ToolDefs {
		tools = append(tools, d.Name)
	}
	toolsJSON, _ := json.Marshal(tools)
	wrong, _ := json.Marshal([]string{unknownKey, otherKey})

	t.Run("http", func(t *testing.T) {
		rep := runTSClient(t, dir, node, map[string]string{
			"MODE": "http", "URL": c.base + "/mcp?agent_id=" + httpAgent, "AGENT": httpAgent, "KEY": key,
			"WRONG_KEYS": string(wrong), "TOOLS": string(toolsJSON),
		})
		refused := rep["refused"].([]any)
		if len(refused) != 2 || !strings.Contains(refused[0].(string), `"unauthenticated"`) || !strings.Contains(refused[1].(string), `"not_found"`) {
			t.Errorf("wrong keys: want unauthenticated for an unknown key and not_found for another tenant's, got %v", refused)
		}
		t.Logf("report: %v", rep)
	})
	t.Run("http header", func(t *testing.T) {
		// The agent named by X-Agent-Id instead of the URL: plain JSON-RPC, as any client sends it.
		req, _ := http.NewRequest("POST", c.base+"/mcp", strings.NewReader(`{"jsonrpc": "2.0", "id": 1, "method": "tools/list"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("X-Agent-Id", httpAgent)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out struct {
			Result struct{ Tools []struct{ Name string } }
		}
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusOK || len(out.Result.Tools) != len(tools) {
			t.Errorf("tools/list with X-Agent-Id: %d %v %+v", resp.StatusCode, err, out)
		}
	})

	// The embedded store serves one process at a time: stop serve before memsvc mcp opens it.
	proc.Process.Signal(syscall.SIGTERM)
	proc.Wait()
	t.Run("stdio", func(t *testing.T) {
		args, _ := json.Marshal([]string{"mcp", "--data", data, "--agent", stdioAgent})
		rep := runTSClient(t, dir, node, map[string]string{
			"MODE": "stdio", "COMMAND": bin, "ARGS": string(args), "AGENT": stdioAgent, "KEY": key,
			"WRONG_KEY": unknownKey, "TOOLS": string(toolsJSON),
		})
		if refused := rep["refused"].([]any); len(refused) != 1 {
			t.Errorf("wrong key: %v", refused)
		}
		t.Logf("report: %v", rep)
	})
}
