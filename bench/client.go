package bench

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"time"

	memsvc "github.com/memsvc/memsvc/client"
	"github.com/memsvc/memsvc/pager"
)

// client speaks memsvc's v1 HTTP API through the Go client (package client), with retries and
// automatic idempotency keys off: a load run measures each request once, as sent.
type client struct {
	mc *memsvc.Client

	mu      sync.Mutex
	created []string // agents created, for deleteCreated
}

func newClient(base, apiKey string, conns int) *client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns, tr.MaxIdleConnsPerHost = conns*2, conns*2
	return &client{mc: memsvc.New(base, memsvc.WithAPIKey(apiKey), memsvc.WithRetries(-1, 0), memsvc.WithAutoIdempotency(false),
		memsvc.WithHTTPClient(&http.Client{Transport: tr, Timeout: time.Minute}))}
}

// post sends body as JSON and decodes a 2xx answer into out (when not nil); an error answer is
// a *memsvc.Error.
func (c *client) post(ctx context.Context, path string, body, out any) error {
	return c.mc.Do(ctx, http.MethodPost, path, nil, body, out)
}

func (c *client) createAgent(ctx context.Context, name string, window int) (string, error) {
	off := false
	a, err := c.mc.CreateAgent(ctx, pager.AgentSpec{Name: name, System: "memsvc bench load agent.", ContextWindow: window, ToolsInContext: &off})
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
		_ = c.mc.DeleteAgent(ctx, id)
	}
	c.created = nil
}

func agentPath(id, rest string) string { return "/v1/agents/" + url.PathEscape(id) + rest }
