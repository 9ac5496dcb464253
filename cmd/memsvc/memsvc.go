package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/memsvc/memsvc/api"
	"github.com/memsvc/memsvc/embed"
	"github.com/memsvc/memsvc/pager"
	"github.com/memsvc/memsvc/stores"
)

// Config is everything the command line sets. Each flag is also read from MEMSVC_<NAME>.
type Config struct {
	Migrate    bool
	Addr       string
	Data       string
	Store      string
	Archival   string
	Embedder   string
	Summarizer string
	OllamaURL  string
}

// Main is the running program: the stores, the pager service and the HTTP server.
type Main struct {
	Config Config
	Logger *slog.Logger

	stores *stores.Stores
	svc    *pager.Service
	server *http.Server
	ln     net.Listener
	served chan error
}

// NewMain returns a Main with default configuration, logging to w.
func NewMain(w io.Writer) *Main {
	return &Main{
		Config: Config{Migrate: true, Addr: "127.0.0.1:8080", Data: "./memsvc-data", Store: "embedded", Archival: "",
			Embedder: "builtin", Summarizer: "builtin", OllamaURL: "http://127.0.0.1:11434"},
		Logger: newLogger(w),
	}
}

// ParseFlags reads flags, then MEMSVC_* variables for the flags not given.
func (m *Main) ParseFlags(args []string) error {
	fs := flag.NewFlagSet("memsvc", flag.ContinueOnError)
	c := &m.Config
	fs.StringVar(&c.Addr, "addr", c.Addr, "listen address")
	fs.StringVar(&c.Data, "data", c.Data, "data directory of the embedded store")
	fs.StringVar(&c.Store, "store", c.Store, "where all state lives: embedded, or a postgres:// URL")
	fs.BoolVar(&c.Migrate, "migrate", c.Migrate, "apply pending migrations at start-up (PostgreSQL)")
	fs.StringVar(&c.Archival, "archival", c.Archival, "where archival vectors live: empty for the state store, or qdrant://host:port[/collection]")
	fs.StringVar(&c.Embedder, "embedder", c.Embedder, "text embedder: builtin")
	fs.StringVar(&c.Summarizer, "summarizer", c.Summarizer, "summarizer: builtin")
	fs.StringVar(&c.OllamaURL, "ollama-url", c.OllamaURL, "Ollama server URL")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		env := "MEMSVC_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v, ok := os.LookupEnv(env); ok && !set[f.Name] {
			if err := f.Value.Set(v); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", env, err))
			}
		}
	})
	if err := errors.Join(errs...); err != nil {
		return err
	}
	return m.Config.validate()
}

func (c Config) validate() error {
	switch {
	case c.Store != "embedded" && !stores.IsPostgres(c.Store):
		return fmt.Errorf("--store %q: want embedded or a postgres:// URL", c.Store)
	case stores.CheckArchival(c.Archival) != nil:
		return fmt.Errorf("--archival %q: want empty (the state store's own) or qdrant://host:port[/collection]", c.Archival)
	case c.Embedder != "builtin":
		return fmt.Errorf("--embedder %q: only \"builtin\" is supported in this build", c.Embedder)
	case c.Summarizer != "builtin":
		return fmt.Errorf("--summarizer %q: only \"builtin\" is supported in this build", c.Summarizer)
	}
	return nil
}

func (c Config) storesConfig(dim int, logger *slog.Logger) stores.Config {
	return stores.Config{Store: c.Store, Data: c.Data, Archival: c.Archival, Dim: dim, Migrate: c.Migrate, Logger: logger}
}

// Migrate applies the store's pending migrations and returns how many the schema has applied.
func (m *Main) Migrate(ctx context.Context) (int, error) {
	return stores.Migrate(ctx, m.Config.storesConfig(embed.NewBuiltin().Dim(), m.Logger))
}

// Run opens the stores, starts the pager's background work and starts serving. It returns once
// the listener is open; Close stops everything.
func (m *Main) Run(ctx context.Context) error {
	emb := embed.NewBuiltin()
	if err := emb.Load(); err != nil {
		return err
	}
	st, err := stores.Open(ctx, m.Config.storesConfig(emb.Dim(), m.Logger))
	if err != nil {
		return err
	}
	m.stores = st
	if err := st.State.CheckEmbedder(ctx, emb.Model(), emb.Dim()); err != nil {
		return err
	}
	var srv *api.Server
	m.svc, err = pager.New(pager.Config{
		Store: st.State, Archival: st.Archival, Embedder: emb, Logger: m.Logger,
		OnEvent: func(agentID string, e pager.Event) { srv.RecordEvent(agentID, e) },
	})
	if err != nil {
		return err
	}
	srv = api.New(api.Config{
		Memory: m.svc, Idempotency: st.State, Logger: m.Logger, Ready: st.Ping,
	})
	if err := m.svc.Start(ctx); err != nil {
		return err
	}
	m.ln, err = net.Listen("tcp", m.Config.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", m.Config.Addr, err)
	}
	m.server = &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	m.served = make(chan error, 1)
	go func() { m.served <- m.server.Serve(m.ln) }()
	return nil
}

// Addr is the address the server listens on (useful with port 0).
func (m *Main) Addr() string {
	if m.ln == nil {
		return ""
	}
	return m.ln.Addr().String()
}

// Close drains HTTP requests, stops background work and closes the stores.
func (m *Main) Close() error {
	var errs []error
	if m.server != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		errs = append(errs, m.server.Shutdown(ctx))
		cancel()
		if err := <-m.served; !errors.Is(err, http.ErrServerClosed) {
			errs = append(errs, err)
		}
		m.server = nil
	}
	if m.svc != nil {
		m.svc.Stop()
		m.svc = nil
	}
	if m.stores != nil {
		errs = append(errs, m.stores.Close())
		m.stores = nil
	}
	return errors.Join(errs...)
}
