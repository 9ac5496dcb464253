package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// client speaks memsvc's v1 HTTP API.
type client struct {
	base   string
	apiKey string // sent as a bearer token when set
	hc     *http.Client

	mu      sync.Mutex
	created []string // agents created, for deleteCreated
}

func newClient(base, apiKey string, conns int) *client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns, tr.MaxIdleConnsPerHost = conns*2, conns*2
	return &client{base: strings.TrimRight(base, "/"), apiKey: apiKey, hc: &http.Client{Transport: tr, Timeout: time.Minute}}
}

func (c *client) do(req *http.Request) (*http.Response, error) {
	if c.apiKey != "" {
		req.Header.Set("Authorization", "Bearer "+c.apiKey)
	}
	return c.hc.Do(req)
}

// statusError is a non-2xx answer.
type statusError struct {
	status int
	body   string
}

func (e *statusError) Error() string { return fmt.Sprintf("HTTP %d: %s", e.status, e.body) }

// post sends body as JSON and decodes a 2xx answer into out (when not nil).
func (c *client) post(ctx context.Context, path string, body, out any) error {
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+path, bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		return &statusError{status: resp.StatusCode, body: strings.TrimSpace(string(data[:min(len(data), 300)]))}
	}
	if out != nil {
		return json.Unmarshal(data, out)
	}
	return nil
}

func (c *client) createAgent(ctx context.Context, name string, window int) (string, error) {
	var a struct {
		ID string `json:"id"`
	}
	err := c.post(ctx, "/v1/agents", map[string]any{"name": name, "system": "memsvc bench load agent.",
		"context_window": window, "tools_in_context": false}, &a)
	if err != nil {
		return "", fmt.Errorf("bench: create agent: %w", err)
	}
	c.mu.Lock()
	c.created = append(c.created, a.ID)
	c.mu.Unlock()
	return a.ID, nil
}

// deleteCreated deletes every agent the client created, best effort.
func (c *client) deleteCreated() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, id := range c.created {
		_ = c.deleteAgent(ctx, id)
	}
	c.created = nil
}

// deleteAgent removes an agent and all its memory.
func (c *client) deleteAgent(ctx context.Context, id string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodDelete, c.base+agentPath(id, ""), nil)
	if err != nil {
		return err
	}
	resp, err := c.do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return &statusError{status: resp.StatusCode}
	}
	return nil
}

func agentPath(id, rest string) string { return "/v1/agents/" + url.PathEscape(id) + rest }
