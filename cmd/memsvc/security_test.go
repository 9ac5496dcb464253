package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/memsvc/memsvc/api"
	"github.com/memsvc/memsvc/pgdb/pgdbtest"
)

// keyed is an HTTP client of a running Main that sends an API key.
type keyed struct {
	t     *testing.T
	base  string
	token string
}

// do sends a request (body "" for none) and returns the status and the answer.
func (c keyed) do(method, path, body string) (int, []byte) {
	c.t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, c.base+path, r)
	if err != nil {
		c.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, data
}

// must sends a request that must answer want and returns the answer as a JSON object.
func (c keyed) must(method, path, body string, want int) map[string]any {
	c.t.Helper()
	st, data := c.do(method, path, body)
	if st != want {
		c.t.Fatalf("%s %s: %d, want %d: %s", method, path, st, want, data)
	}
	var out map[string]any
	_ = json.Unmarshal(data, &out)
	return out
}

// createKey runs `memsvc keys create` and returns what it printed on stdout: the key alone.
func createKey(t *testing.T, storeArgs []string, tenant string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	args := append([]string{"create", "--tenant", tenant}, storeArgs...)
	if err := runKeys(context.Background(), args, &stdout, &stderr); err != nil {
		t.Fatalf("keys create: %v (%s)", err, stderr.String())
	}
	if !regexp.MustCompile(`^msk_[a-z2-7]{16}_[a-z2-7]{52}\n$`).MatchString(stdout.String()) {
		t.Fatalf("keys create printed %q; want the key alone", stdout.String())
	}
	return strings.TrimSpace(stdout.String())
}

// storeArgs are the --store and --data flags of a fresh store of each kind.
func storeArgs(t *testing.T, backend string) []string {
	if backend == "postgres" {
		return []string{"--store", pgdbtest.Schema(t)}
	}
	return []string{"--data", t.TempDir()}
}

// crossTenantBodies are request bodies that pass validation, so that the answer is decided by
// whose resource it is. A route without one is sent "{}" (writes) or nothing.
var crossTenantBodies = map[string]string{
	"PATCH /v1/agents/{agent_id}":                                 `{"name": "stolen"}`,
	"POST /v1/agents/{agent_id}/messages":                         `{"messages": [{"role": "user", "content": "hello"}]}`,
	"PUT /v1/agents/{agent_id}/blocks/{label}":                    `{"value": "overwritten"}`,
	"POST /v1/agents/{agent_id}/archival":                         `{"text": "planted"}`,
	"POST /v1/agents/{agent_id}/archival/batch":                   `{"passages": [{"text": "planted"}]}`,
	"POST /v1/agents/{agent_id}/archival/search":                  `{"query": "secret"}`,
	"POST /v1/agents/{agent_id}/archival/{passage_id}/invalidate": `{"reason": "because"}`,
	"POST /v1/agents/{agent_id}/recall/search":                    `{"query": "secret"}`,
	"POST /v1/agents/{agent_id}/tool-calls":                       `{"name": "archival_memory_search", "arguments": {"query": "secret"}}`,
	"POST /v1/agents/{agent_id}/attachments":                      `{"block_id": "BLOCK"}`,
}

// TestCrossTenantAccessIsDenied walks every route the API serves (listed from its router, so a
// new route is walked too) with another tenant's key against one tenant's resources, on both
// stores: each answers 404, and nothing of the owner's changes. It also walks them without a key
// (401), and checks that listing and IDs in bodies do not cross tenants either.
func TestCrossTenantAccessIsDenied(t *testing.T) {
	for _, backend := range []string{"embedded", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			sa := storeArgs(t, backend)
			ownerKey, otherKey := createKey(t, sa, "acme"), createKey(t, sa, "globex")
			m := NewMain(io.Discard)
			if err := m.ParseFlags(append([]string{"--addr", "127.0.0.1:0"}, sa...)); err != nil {
				t.Fatal(err)
			}
			if err := m.Run(context.Background()); err != nil {
				m.Close()
				t.Fatal(err)
			}
			t.Cleanup(func() { m.Close() })
			base := "http://" + m.Addr()
			owner, other, anon := keyed{t, base, ownerKey}, keyed{t, base, otherKey}, keyed{t, base, ""}

			// The owner's resources, one of each kind.
			agent := owner.must("POST", "/v1/agents", `{"name": "owner", "blocks": [{"label": "human", "value": "Secret: 42."}]}`, 201)["id"].(string)
			passage := owner.must("POST", "/v1/agents/"+agent+"/archival", `{"text": "The vault code is 1234."}`, 201)["id"].(string)
			owner.must("POST", "/v1/agents/"+agent+"/messages", `{"messages": [{"role": "user", "content": "my secret is 42"}]}`, 200)
			block := owner.must("POST", "/v1/blocks", `{"label": "org", "value": "Owner policy."}`, 201)["id"].(string)
			owner.must("POST", "/v1/agents/"+agent+"/attachments", `{"block_id": "`+block+`"}`, 200)
			values := map[string]string{"agent_id": agent, "passage_id": passage, "label": "human", "block_id": block}
			routes := api.New(api.Config{}).Routes()
			for _, r := range routes {
				if r.Method == "POST" && r.Path == "/v1/agents/{agent_id}/compactions" {
					values["job_id"] = owner.must("POST", "/v1/agents/"+agent+"/compactions", "", 202)["id"].(string)
				}
			}
			// The other tenant's own agent, to try the owner's passage and block through it.
			otherAgent := other.must("POST", "/v1/agents", `{"name": "other"}`, 201)["id"].(string)

			param := regexp.MustCompile(`\{([a-z_]+)\}`)
			walked := 0
			for _, r := range routes {
				if !strings.HasPrefix(r.Path, "/v1/") || strings.HasPrefix(r.Path, "/v1/admin/") {
					continue // public and operations paths; admin routes answer 403 to a tenant key
				}
				names := param.FindAllStringSubmatch(r.Path, -1)
				body := crossTenantBodies[r.Method+" "+r.Path]
				if body == "" && (r.Method == "POST" || r.Method == "PUT" || r.Method == "PATCH") && r.Path != "/v1/agents/{agent_id}/compactions" &&
					!strings.HasSuffix(r.Path, "/undo") && !strings.HasSuffix(r.Path, "/restore") {
					body = "{}"
				}
				body = strings.ReplaceAll(body, "BLOCK", block)
				fill := func(vals map[string]string) string {
					return param.ReplaceAllStringFunc(r.Path, func(m string) string {
						v, ok := vals[m[1:len(m)-1]]
						if !ok {
							t.Fatalf("%s %s: no value for %s; add one to the cross-tenant test", r.Method, r.Path, m)
						}
						return v
					})
				}
				// Without a key: 401 on every /v1 route.
				if st, data := anon.do(r.Method, fill(values), body); st != http.StatusUnauthorized {
					t.Errorf("%s %s without a key: %d %s", r.Method, r.Path, st, data)
				}
				if len(names) == 0 {
					continue // POST /v1/agents, GET /v1/agents, POST /v1/blocks: the caller's own tenant; checked below
				}
				walked++
				if st, data := other.do(r.Method, fill(values), body); st != http.StatusNotFound {
					t.Errorf("%s %s with another tenant's key: %d %s", r.Method, fill(values), st, data)
				}
				// Through the other tenant's own agent, the owner's passages and blocks are not found either.
				if strings.HasPrefix(r.Path, "/v1/agents/{agent_id}/") && len(names) > 1 {
					mixed := map[string]string{}
					for k, v := range values {
						mixed[k] = v
					}
					mixed["agent_id"] = otherAgent
					if r.Path == "/v1/agents/{agent_id}/blocks/{label}" && r.Method == "PUT" {
						continue // creates the other agent's own block "human"
					}
					if st, data := other.do(r.Method, fill(mixed), body); st != http.StatusNotFound {
						t.Errorf("%s %s through the other tenant's agent: %d %s", r.Method, fill(mixed), st, data)
					}
				}
			}
			if walked < 20 {
				t.Fatalf("walked only %d routes", walked)
			}
			t.Logf("walked %d routes with another tenant's key, every one 404", walked)
			// IDs in bodies do not cross either.
			if st, data := other.do("POST", "/v1/agents/"+otherAgent+"/attachments", `{"block_id": "`+block+`"}`); st != http.StatusNotFound {
				t.Errorf("attaching another tenant's block: %d %s", st, data)
			}
			if st, data := other.do("POST", "/v1/agents/"+otherAgent+"/archival", `{"text": "x", "supersedes": "`+passage+`"}`); st != http.StatusNotFound {
				t.Errorf("superseding another tenant's passage: %d %s", st, data)
			}
			// Lists and searches show the other tenant nothing of the owner's.
			list := other.must("GET", "/v1/agents", "", 200)["items"].([]any)
			if len(list) != 1 || list[0].(map[string]any)["id"] != otherAgent {
				t.Errorf("the other tenant lists %v", list)
			}
			res := other.must("POST", "/v1/agents/"+otherAgent+"/archival/search", `{"query": "vault code"}`, 200)
			if len(res["results"].([]any)) != 0 {
				t.Errorf("the other tenant's search found %v", res)
			}
			// Nothing of the owner's changed.
			if a := owner.must("GET", "/v1/agents/"+agent, "", 200); a["name"] != "owner" {
				t.Errorf("owner's agent %v", a)
			}
			if b := owner.must("GET", "/v1/agents/"+agent+"/blocks/human", "", 200); b["value"] != "Secret: 42." {
				t.Errorf("owner's block %v", b)
			}
			if p := owner.must("GET", "/v1/agents/"+agent+"/archival/"+passage, "", 200); p["status"] != "valid" {
				t.Errorf("owner's passage %v", p)
			}
			if b := owner.must("GET", "/v1/blocks/"+block, "", 200); b["value"] != "Owner policy." || len(b["attachments"].([]any)) != 1 {
				t.Errorf("owner's shared block %v", b)
			}
			msgs := owner.must("GET", "/v1/agents/"+agent+"/messages", "", 200)["items"].([]any)
			if len(msgs) != 1 {
				t.Errorf("owner's history has %d messages", len(msgs))
			}
		})
	}
}

// memsvc refuses to start on a non-loopback address while no API key exists, and says how to
// fix it; with a key it starts.
func TestRefusesExposedWithoutKeys(t *testing.T) {
	dir := t.TempDir()
	m := NewMain(io.Discard)
	if err := m.ParseFlags([]string{"--addr", "0.0.0.0:0", "--data", dir}); err != nil {
		t.Fatal(err)
	}
	err := m.Run(context.Background())
	m.Close()
	if err == nil || !strings.Contains(err.Error(), "memsvc keys create --tenant") || !strings.Contains(err.Error(), "--addr 127.0.0.1") {
		t.Fatalf("Run on 0.0.0.0 without keys: %v", err)
	}
	for _, addr := range []string{":0", "[::]:0"} {
		m := NewMain(io.Discard)
		if err := m.ParseFlags([]string{"--addr", addr, "--data", dir}); err != nil {
			t.Fatal(err)
		}
		err := m.Run(context.Background())
		m.Close()
		if err == nil {
			t.Errorf("Run on %s without keys started", addr)
		}
	}
	for _, addr := range []string{"127.0.0.1:0", "localhost:0"} {
		m := NewMain(io.Discard)
		if err := m.ParseFlags([]string{"--addr", addr, "--data", dir}); err != nil {
			t.Fatal(err)
		}
		if err := m.Run(context.Background()); err != nil {
			t.Errorf("Run on loopback %s: %v", addr, err)
		}
		m.Close()
	}
	key := createKey(t, []string{"--data", dir}, "acme")
	m = NewMain(io.Discard)
	if err := m.ParseFlags([]string{"--addr", "0.0.0.0:0", "--data", dir}); err != nil {
		t.Fatal(err)
	}
	if err := m.Run(context.Background()); err != nil {
		m.Close()
		t.Fatalf("Run on 0.0.0.0 with a key: %v", err)
	}
	defer m.Close()
	port := m.Addr()[strings.LastIndex(m.Addr(), ":"):]
	c := keyed{t, "http://127.0.0.1" + port, key}
	c.must("GET", "/v1/agents", "", 200)
	if st, _ := (keyed{t, c.base, ""}).do("GET", "/v1/agents", ""); st != http.StatusUnauthorized {
		t.Errorf("a request without a key: %d", st)
	}
}

// memsvc keys create, list and revoke work on the store serve uses; a revoked key stops working.
func TestKeysCommand(t *testing.T) {
	dir := t.TempDir()
	sa := []string{"--data", dir}
	key := createKey(t, sa, "acme")
	var stdout, stderr bytes.Buffer
	if err := runKeys(context.Background(), append([]string{"create", "--admin", "--name", "ops"}, sa...), &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	admin := strings.TrimSpace(stdout.String())
	if err := runKeys(context.Background(), []string{"create"}, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "--tenant") {
		t.Errorf("create without --tenant: %v", err)
	}
	if err := runKeys(context.Background(), append([]string{"create", "--tenant", "Not A Tenant"}, sa...), io.Discard, io.Discard); err == nil {
		t.Error("create with a malformed tenant succeeded")
	}
	stdout.Reset()
	if err := runKeys(context.Background(), append([]string{"list"}, sa...), &stdout, io.Discard); err != nil {
		t.Fatal(err)
	}
	out := stdout.String()
	if !strings.Contains(out, "acme") || !strings.Contains(out, "ops") || strings.Contains(out, key) || strings.Contains(out, admin) {
		t.Fatalf("keys list:\n%s", out)
	}
	id := regexp.MustCompile(`key_[a-z2-7]{16}`).FindString(strings.Split(out, "\n")[1])
	if id == "" {
		t.Fatalf("no key ID in:\n%s", out)
	}

	m := NewMain(io.Discard)
	if err := m.ParseFlags([]string{"--addr", "127.0.0.1:0", "--data", dir}); err != nil {
		t.Fatal(err)
	}
	if err := m.Run(context.Background()); err != nil {
		m.Close()
		t.Fatal(err)
	}
	defer m.Close()
	base := "http://" + m.Addr()
	acmeC, adminC := keyed{t, base, key}, keyed{t, base, admin}
	acmeC.must("GET", "/v1/agents", "", 200)
	adminC.must("GET", "/v1/admin/keys", "", 200)
	// Revoke the acme key from the command line while the server runs.
	var revoked bool
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, "acme") {
			kid := regexp.MustCompile(`key_[a-z2-7]{16}`).FindString(line)
			stdout.Reset()
			if err := runKeys(context.Background(), append([]string{"revoke", kid}, sa...), &stdout, io.Discard); err != nil {
				t.Fatal(err)
			}
			revoked = strings.Contains(stdout.String(), "revoked "+kid)
		}
	}
	if !revoked {
		t.Fatal("the acme key was not revoked")
	}
	if st, _ := acmeC.do("GET", "/v1/agents", ""); st != http.StatusUnauthorized {
		t.Errorf("a revoked key answered %d", st)
	}
	if err := runKeys(context.Background(), append([]string{"revoke", "key_nope"}, sa...), io.Discard, io.Discard); err == nil ||
		!strings.Contains(err.Error(), "does not exist") {
		t.Errorf("revoke unknown: %v", err)
	}
}
