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
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"

	"github.com/memsvc/memsvc/api"
	"github.com/memsvc/memsvc/compaction"
	"github.com/memsvc/memsvc/embed"
	"github.com/memsvc/memsvc/pager"
	"github.com/memsvc/memsvc/state"
	"github.com/memsvc/memsvc/stores"
	"github.com/memsvc/memsvc/ui"
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
	OpenAIURL  string

	// Compaction jobs (package compaction).
	CompactionWorkers int
	CompactionBudget  int
	CompactionPeriod  time.Duration
	CompactionLease   time.Duration
	CompactionPoll    time.Duration
	CompactionShare   float64

	// EmbedShare is the share of its time the background message embedder may work.
	EmbedShare float64

	// RateLimit is each API key's requests per second (negative: unlimited); RateBurst its burst.
	RateLimit float64
	RateBurst int
}

// Main is the running program: the stores, the pager service and the HTTP server.
type Main struct {
	Config Config
	Logger *slog.Logger

	stores *stores.Stores
	svc    *pager.Service
	comp   *compaction.Service
	server *http.Server
	ln     net.Listener
	served chan error
	// noListen makes Run open everything but the HTTP listener (memsvc mcp serves stdio).
	noListen bool
}

// NewMain returns a Main with default configuration, logging to w.
func NewMain(w io.Writer) *Main {
	return &Main{
		Config: Config{Migrate: true, Addr: "127.0.0.1:8080", Data: "./memsvc-data", Store: "embedded", Archival: "",
			Embedder: "builtin", Summarizer: "builtin", OllamaURL: "http://127.0.0.1:11434", OpenAIURL: defaultOpenAIURL,
			CompactionWorkers: 2, CompactionBudget: 200_000, CompactionPeriod: time.Hour, CompactionLease: 30 * time.Second,
			CompactionPoll: time.Second, CompactionShare: 0.25, EmbedShare: 0.5, RateLimit: api.DefaultRateLimit, RateBurst: api.DefaultRateBurst},
		Logger: newLogger(w),
	}
}

// ParseFlags reads flags, then MEMSVC_* variables for the flags not given. extra adds a
// command's own flags (memsvc mcp), which MEMSVC_* variables set too.
func (m *Main) ParseFlags(args []string, extra ...func(*flag.FlagSet)) error {
	fs := flag.NewFlagSet("memsvc", flag.ContinueOnError)
	for _, f := range extra {
		f(fs)
	}
	c := &m.Config
	fs.StringVar(&c.Addr, "addr", c.Addr, "listen address")
	fs.StringVar(&c.Data, "data", c.Data, "data directory of the embedded store")
	fs.StringVar(&c.Store, "store", c.Store, "where all state lives: embedded, or a postgres:// URL")
	fs.BoolVar(&c.Migrate, "migrate", c.Migrate, "apply pending migrations at start-up (PostgreSQL)")
	fs.StringVar(&c.Archival, "archival", c.Archival, "where archival vectors live: empty for the state store, or qdrant://host:port[/collection]")
	fs.StringVar(&c.Embedder, "embedder", c.Embedder, localEmbedderHelp+" (openai: an OpenAI-compatible /embeddings endpoint; key in "+openAIKeyEnv+")")
	fs.StringVar(&c.Summarizer, "summarizer", c.Summarizer, "summarizer: builtin, or ollama:<model>")
	fs.StringVar(&c.OllamaURL, "ollama-url", c.OllamaURL, "Ollama server URL")
	fs.StringVar(&c.OpenAIURL, "openai-url", c.OpenAIURL, "base URL of the OpenAI-compatible API, up to the version (…/v1), for --embedder openai:<model>")
	fs.Float64Var(&c.RateLimit, "rate-limit", c.RateLimit, "requests per second each API key may send (negative: unlimited)")
	fs.IntVar(&c.RateBurst, "rate-burst", c.RateBurst, "burst of requests each API key may send")
	fs.IntVar(&c.CompactionWorkers, "compaction-workers", c.CompactionWorkers, "compaction jobs run at once")
	fs.Float64Var(&c.CompactionShare, "compaction-cpu-share", c.CompactionShare, "share of its time each compaction worker may spend on jobs (0 to 1; 1 runs a backlog back to back)")
	fs.Float64Var(&c.EmbedShare, "embed-cpu-share", c.EmbedShare, "share of its time the background message embedder may work through a backlog (0 to 1)")
	fs.IntVar(&c.CompactionBudget, "compaction-budget", c.CompactionBudget, "each agent's compaction tokens per period; 0 for unlimited")
	fs.DurationVar(&c.CompactionPeriod, "compaction-period", c.CompactionPeriod, "the compaction budget's period")
	fs.DurationVar(&c.CompactionLease, "compaction-lease", c.CompactionLease, "how long a compaction job may go silent before it is handed out again")
	fs.DurationVar(&c.CompactionPoll, "compaction-poll", c.CompactionPoll, "how often the compaction scheduler and job queue poll")
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
	embedderErr := checkEmbedder(c.Embedder)
	summarizerErr := checkProvider("--summarizer", c.Summarizer, "ollama")
	switch {
	case c.Store != "embedded" && !stores.IsPostgres(c.Store):
		return fmt.Errorf("--store %q: want embedded or a postgres:// URL", c.Store)
	case stores.CheckArchival(c.Archival) != nil:
		return fmt.Errorf("--archival %q: want empty (the state store's own) or qdrant://host:port[/collection]", c.Archival)
	case embedderErr != nil:
		return embedderErr
	case summarizerErr != nil:
		return summarizerErr
	case c.CompactionWorkers < 1 || c.CompactionBudget < 0 || c.CompactionPeriod <= 0 || c.CompactionLease <= 0 || c.CompactionPoll <= 0 ||
		c.CompactionShare <= 0 || c.CompactionShare > 1 || c.EmbedShare <= 0 || c.EmbedShare > 1:
		return errors.New("--compaction-workers must be at least 1, --compaction-budget not negative, --compaction-cpu-share and --embed-cpu-share in (0, 1], and the durations positive")
	}
	return nil
}

func (c Config) storesConfig(dim int, logger *slog.Logger) stores.Config {
	return stores.Config{Store: c.Store, Data: c.Data, Archival: c.Archival, Dim: dim, Migrate: c.Migrate, Logger: logger}
}

// Migrate applies the store's pending migrations and returns how many the schema has applied.
func (m *Main) Migrate(ctx context.Context) (int, error) {
	emb, err := m.embedder(ctx)
	if err != nil {
		return 0, err
	}
	// An existing store migrates at the dimension it was made with (moving it to another
	// embedder is memsvc reembed's work); a new one is made for the embedder.
	cfg := m.Config.storesConfig(emb.Dim(), m.Logger)
	cfg.StoredDim = true
	return stores.Migrate(ctx, cfg)
}

// Run opens the stores, starts the pager's background work and starts serving. It returns once
// the listener is open; Close stops everything.
func (m *Main) Run(ctx context.Context) error {
	emb, err := m.embedder(ctx)
	if err != nil {
		return err
	}
	sum, contra, err := m.summarizer(ctx)
	if err != nil {
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
	// The scorer's cosine thresholds, carried to this embedder's similarity distribution; an
	// embedding server that cannot be reached now leaves the built-in embedder's thresholds.
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	scoring, err := pager.CalibratedScoring(cctx, emb)
	cancel()
	if err != nil {
		m.Logger.Warn("scorer thresholds not calibrated for the embedder; using the built-in embedder's", "embedder", emb.Model(), "err", err)
	} else if emb.Model() != embed.BuiltinModel {
		m.Logger.Info("scorer thresholds calibrated for the embedder", "embedder", emb.Model(),
			"group_cosine", scoring.GroupCosine, "supersede_cosine", scoring.SupersedeCosine)
	}
	var srv *api.Server
	var comp *compaction.Service
	m.svc, err = pager.New(pager.Config{
		Store: st.State, Archival: st.Archival, Embedder: emb, Summarizer: sum, Logger: m.Logger, Scoring: scoring,
		EmbedShare: m.Config.EmbedShare,
		OnEvent: func(agentID string, e pager.Event) {
			srv.RecordEvent(agentID, e)
			if e.Type == pager.EventCompactionQueued && comp != nil {
				comp.Wake()
			}
		},
	})
	if err != nil {
		return err
	}
	reg := api.NewRegistry()
	ccfg := m.compactionConfig(st, emb, reg, func(agentID string, e pager.Event) { srv.RecordEvent(agentID, e) })
	ccfg.Contradictor = contra
	comp, err = compaction.New(ccfg)
	if err != nil {
		return err
	}
	m.comp = comp
	keys, err := keyService(st.State)
	if err != nil {
		return err
	}
	if err := refuseExposedWithoutKeys(ctx, m.Config.Addr, keys); err != nil {
		return err
	}
	srv = api.New(api.Config{
		Memory: m.svc, Compactions: comp, Idempotency: st.State, Logger: m.Logger, Ready: st.Ping, Registry: reg,
		Keys: keys, RateLimit: m.Config.RateLimit, RateBurst: m.Config.RateBurst,
	})
	if err := m.svc.Start(ctx); err != nil {
		return err
	}
	if err := comp.Start(ctx); err != nil {
		return err
	}
	if m.noListen {
		return nil
	}
	m.ln, err = net.Listen("tcp", m.Config.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", m.Config.Addr, err)
	}
	m.server = &http.Server{Handler: ui.Mount(srv.Handler()), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	m.served = make(chan error, 1)
	go func() { m.served <- m.server.Serve(m.ln) }()
	return nil
}

// compactionConfig configures the compaction jobs. MEMSVC_TEST_COMPACTION_KILL, a test hook,
// makes the process SIGKILL itself inside its first compaction job: "before-commit" once the
// summary is made, "after-commit" once it is committed.
func (m *Main) compactionConfig(st *stores.Stores, emb compaction.Embedder, reg *prometheus.Registry,
	onEvent func(string, pager.Event)) compaction.Config {
	c := m.Config
	cfg := compaction.Config{
		Pager: m.svc, Store: st.State, Archival: st.Archival, Embedder: emb, Logger: m.Logger, Registerer: reg,
		NewQueue: func(rc *river.Config) (compaction.Queue, error) { return st.NewJobQueue(rc) },
		OnEvent:  onEvent, Workers: c.CompactionWorkers, PollInterval: c.CompactionPoll, Lease: c.CompactionLease, CPUShare: c.CompactionShare,
		Budget: compaction.Budget{Tokens: c.CompactionBudget, Period: c.CompactionPeriod},
	}
	kill := func(state.Compaction, *state.Summary) {
		m.Logger.Warn("MEMSVC_TEST_COMPACTION_KILL: killing the process inside a compaction job")
		_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
		select {} // the signal lands before the job goes on
	}
	switch os.Getenv("MEMSVC_TEST_COMPACTION_KILL") {
	case "before-commit":
		cfg.Hooks.BeforeCommit = kill
	case "after-commit":
		cfg.Hooks.AfterCommit = kill
	}
	return cfg
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
	if m.comp != nil {
		// After HTTP: no new compaction is queued while the workers drain.
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		errs = append(errs, m.comp.Stop(ctx))
		cancel()
		m.comp = nil
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
