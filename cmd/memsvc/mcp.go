package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/memsvc/memsvc/mcpserver"
	"github.com/memsvc/memsvc/state"
)

// runMCP serves one agent's memory over MCP on stdin and stdout (`memsvc mcp --agent ID`), for
// clients that start their MCP servers as processes (Claude Desktop, Claude Code). It opens the
// stores as serve does, with the same flags, but listens on no port; it logs to stderr only.
//
// The API key (--api-key or MEMSVC_API_KEY) names the tenant, as a bearer key does over HTTP:
// once any key exists it is required; with none configured the process acts as the default
// tenant, as serve does for loopback clients. With the embedded store, do not run it beside a
// serve on the same --data: point the client at serve's /mcp instead.
func runMCP(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	m := NewMain(stderr)
	var agent, key string
	if err := m.ParseFlags(args, func(fs *flag.FlagSet) {
		fs.StringVar(&agent, "agent", "", "the agent whose memory to serve")
		fs.StringVar(&key, "api-key", "", "an API key of the agent's tenant (prefer MEMSVC_API_KEY: flags show in ps)")
	}); err != nil {
		return err
	}
	if agent == "" {
		return errors.New("mcp: name the agent with --agent ID (or MEMSVC_AGENT)")
	}
	m.noListen = true
	if err := m.Run(ctx); err != nil {
		m.Close()
		return err
	}
	defer m.Close()
	keys, err := keyService(m.stores.State)
	if err != nil {
		return err
	}
	tenant := state.DefaultTenant
	switch configured, err := keys.Configured(ctx); {
	case err != nil:
		return err
	case key != "":
		k, ok, err := keys.Authenticate(ctx, key)
		if err != nil {
			return err
		}
		if !ok {
			return errors.New("mcp: the API key is not valid (unknown or revoked)")
		}
		tenant = k.Tenant
	case configured:
		return errors.New("mcp: missing API key: set MEMSVC_API_KEY (or --api-key)")
	}
	b := mcpserver.Binding{Tenant: tenant, AgentID: agent}
	a, err := m.svc.GetAgent(state.WithTenant(ctx, tenant), agent)
	if err != nil {
		return fmt.Errorf("mcp: %w", err)
	}
	srv := mcpserver.New(m.svc, b, a.Blocks)
	m.Logger.Info("memsvc mcp serving on stdio", "agent", agent, "tenant", tenant)
	err = srv.Run(ctx, &mcp.IOTransport{Reader: io.NopCloser(stdin), Writer: nopWriteCloser{stdout}})
	if errors.Is(err, context.Canceled) || errors.Is(err, io.EOF) {
		return nil
	}
	return err
}

type nopWriteCloser struct{ io.Writer }

func (nopWriteCloser) Close() error { return nil }
