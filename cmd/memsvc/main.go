// Command memsvc serves MemGPT-style virtual memory to LLM agents over HTTP.
//
//	memsvc serve     start the service (embedded store and built-in embedder by default)
//	memsvc migrate   apply the store's migrations and exit
//
// main only wires: Main parses flags into a Config, Run opens the stores and starts the service,
// and Close shuts it down gracefully.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/memsvc/memsvc/ui"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "memsvc:", err)
		os.Exit(1)
	}
}

const usage = `usage: memsvc <command> [flags]

commands:
  serve     start the service
  migrate   apply the store's migrations and exit
  bench     measure retrieval quality and speed: bench locomo|stale|load
  keys      manage API keys: keys create|list|revoke
  mcp       serve one agent's memory over MCP on stdin/stdout: mcp --agent ID
  reembed   move a stopped service's store to another --embedder: embed every passage again
  export    write an agent's export from a running memsvc: export --agent ID
  import    import an export or a Letta .af, or append a transcript: import FILE

Run 'memsvc <command> -h' for the command's flags.`

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, usage)
		return errors.New("no command")
	}
	switch args[0] {
	case "serve":
		m := NewMain(stderr)
		if err := m.ParseFlags(args[1:]); err != nil {
			return err
		}
		if err := m.Run(ctx); err != nil {
			m.Close()
			return err
		}
		m.Logger.Info("memsvc serving", "addr", m.Addr(), "data", m.Config.Data, "inspector", "http://"+m.Addr()+ui.Prefix)
		<-ctx.Done()
		m.Logger.Info("memsvc shutting down")
		return m.Close()
	case "migrate":
		m := NewMain(stderr)
		if err := m.ParseFlags(args[1:]); err != nil {
			return err
		}
		if _, err := m.Migrate(ctx); err != nil {
			return err
		}
		fmt.Fprintln(stdout, "schema is up to date")
		return nil
	case "bench":
		return runBench(ctx, args[1:], stdout, stderr)
	case "keys":
		return runKeys(ctx, args[1:], stdout, stderr)
	case "mcp":
		return runMCP(ctx, args[1:], os.Stdin, stdout, stderr)
	case "reembed":
		return runReembed(ctx, args[1:], stdout, stderr)
	case "export":
		return runExport(ctx, args[1:], stdout, stderr)
	case "import":
		return runImport(ctx, args[1:], os.Stdin, stdout, stderr)
	case "-h", "--help", "help":
		fmt.Fprintln(stdout, usage)
		return nil
	}
	fmt.Fprintln(stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
}

// newLogger logs text to w; tests pass their own writer.
func newLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelInfo}))
}
