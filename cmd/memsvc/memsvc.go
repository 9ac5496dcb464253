package main

import (
	"context"
	"database/sql"
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
	"github.com/memsvc/memsvc/archival/memarchival"
	"github.com/memsvc/memsvc/embed"
	"github.com/memsvc/memsvc/migrations"
	"github.com/memsvc/memsvc/pager"
	"github.com/memsvc/memsvc/sqlitedb"
	"github.com/memsvc/memsvc/state/sqlitestate"
)

// Config is everything the command line sets. Each flag is also read from MEMSVC_<NAME>.
type Config struct {
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

	db     *sql.DB
	ckpt   *sqlitedb.Checkpointer
	state  *sqlitestate.Store
	svc    *pager.Service
	server *http.Server
	ln     net.Listener
	served chan error
}

// NewMain returns a Main with default configuration, logging to w.
func NewMain(w io.Writer) *Main {
	return &Main{
		Config: Config{Addr: "127.0.0.1:8080", Data: "./memsvc-data", Store: "embedded", Archival: "",
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
	fs.StringVar(&c.Store, "store", c.Store, "where all state lives: embedded")
	fs.StringVar(&c.Archival, "archival", c.Archival, "where archival vectors live: empty for the state store")
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
	case c.Store != "embedded":
		return fmt.Errorf("--store %q: only \"embedded\" is supported in this build", c.Store)
	case c.Archival != "":
		return fmt.Errorf("--archival %q: only the state store's own archival memory is supported in this build", c.Archival)
	case c.Embedder != "builtin":
		return fmt.Errorf("--embedder %q: only \"builtin\" is supported in this build", c.Embedder)
	case c.Summarizer != "builtin":
		return fmt.Errorf("--summarizer %q: only \"builtin\" is supported in this build", c.Summarizer)
	}
	return nil
}

// Migrate opens the store, which applies its pending migrations, and closes it.
func (m *Main) Migrate(ctx context.Context) (int, error) {
	db, err := sqlitedb.Open(ctx, m.Config.Data)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	return migrations.ApplySQLite(ctx, db)
}

// Run opens the stores, starts the pager's background work and starts serving. It returns once
// the listener is open; Close stops everything.
func (m *Main) Run(ctx context.Context) error {
	db, err := sqlitedb.Open(ctx, m.Config.Data)
	if err != nil {
		return err
	}
	m.db = db
	m.ckpt = &sqlitedb.Checkpointer{DB: db, Logger: m.Logger}
	if err := m.ckpt.Start(ctx); err != nil {
		return err
	}
	m.state = sqlitestate.New(db)
	emb := embed.NewBuiltin()
	if err := emb.Load(); err != nil {
		return err
	}
	if err := m.state.CheckEmbedder(ctx, emb.Model(), emb.Dim()); err != nil {
		return err
	}
	arch, err := memarchival.New(ctx, db, emb.Dim())
	if err != nil {
		return err
	}
	var srv *api.Server
	m.svc, err = pager.New(pager.Config{
		Store: m.state, Archival: arch, Embedder: emb, Logger: m.Logger,
		OnEvent: func(agentID string, e pager.Event) { srv.RecordEvent(agentID, e) },
	})
	if err != nil {
		return err
	}
	srv = api.New(api.Config{
		Memory: m.svc, Idempotency: m.state, Logger: m.Logger,
		Ready: func(ctx context.Context) error { return m.state.Ping(ctx) },
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
	if m.ckpt != nil {
		errs = append(errs, m.ckpt.Stop())
		m.ckpt = nil
	}
	if m.db != nil {
		errs = append(errs, m.db.Close())
		m.db = nil
	}
	return errors.Join(errs...)
}
