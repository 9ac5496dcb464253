// Package api serves memsvc's HTTP API, v1, as specified in API.md, on echo v4. It translates HTTP
// to calls on a Memory (the pager) and back; it holds no memory of its own.
//
// The contract it keeps:
//   - JSON in and out. Request bodies are decoded strictly: at most Config.BodyLimit bytes (413
//     too_large), a JSON Content-Type, one JSON object, no unknown fields (400 invalid_argument
//     naming the field). Query parameters are strict too: unknown names and malformed values are 400.
//   - Every error answers {"error": {"code", "message"}} through one echo HTTPErrorHandler. Caller
//     errors (*pager.Error) keep their message; internal errors answer a generic message and are
//     logged with their detail. A deadline passed answers 503 unavailable.
//   - Writes (POST, PUT, PATCH, DELETE) honour an Idempotency-Key header when Config.Idempotency
//     is set: the first 2xx answer is stored and replayed for a repeat with the same key.
//   - Each request runs under Config.RequestTimeout (its body must arrive within it too); a panic
//     answers 500 and is logged.
//   - Every request but /healthz, /readyz and /openapi.json needs an API key (Bearer) once any key
//     is configured (Config.Keys); until then only loopback clients are served, as the default
//     tenant. The key's tenant scopes every query (state.WithTenant): another tenant's resource
//     answers 404. Each key is rate limited (429 with Retry-After). /v1/admin needs an admin key.
//   - /healthz, /readyz, /metrics (Prometheus) and /openapi.json (OpenAPI 3.1, which describes every
//     route the server has) are served beside /v1.
package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/memsvc/memsvc/mcpserver"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/time/rate"
)

// Defaults of Config.
const (
	DefaultBodyLimit      = 2 << 20
	DefaultRequestTimeout = 30 * time.Second
)

// Config configures a Server. Memory is required; everything else has a default.
type Config struct {
	Memory Memory
	// Compactions serves the compaction jobs; nil answers 503 on their routes.
	Compactions Compactions
	// Idempotency stores answers to writes; nil ignores the Idempotency-Key header.
	Idempotency Idempotency
	// IdempotencyTTL is how long an Idempotency-Key counts after its first use (default 24 h);
	// older keys are pruned.
	IdempotencyTTL time.Duration
	// Ready reports whether the stores are reachable (GET /readyz); nil is always ready.
	Ready  func(ctx context.Context) error
	Logger *slog.Logger
	// Registry receives the HTTP and pager metrics and is served at /metrics; nil makes a new one
	// with the Go and process collectors.
	Registry *prometheus.Registry
	// BodyLimit is the largest request body in bytes (default 2 MiB).
	BodyLimit int64
	// RequestTimeout bounds each request (default 30s).
	RequestTimeout time.Duration
	// Keys verifies API keys; nil is a server without keys, which serves loopback clients only.
	Keys Keys
	// RateLimit is each key's sustained rate in requests per second (default DefaultRateLimit;
	// negative turns rate limiting off), RateBurst its burst (default DefaultRateBurst).
	RateLimit float64
	RateBurst int
}

func (c *Config) setDefaults() {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Memory == nil {
		c.Logger.Error("api: Config.Memory is nil; every /v1 request will fail")
	}
	if c.BodyLimit <= 0 {
		c.BodyLimit = DefaultBodyLimit
	}
	if c.RequestTimeout <= 0 {
		c.RequestTimeout = DefaultRequestTimeout
	}
	if c.RateLimit == 0 {
		c.RateLimit = DefaultRateLimit
	}
	if c.RateBurst <= 0 {
		c.RateBurst = DefaultRateBurst
	}
}

// Server is the HTTP API. Create it with New and serve Handler.
type Server struct {
	cfg     Config
	mem     Memory
	log     *slog.Logger
	echo    *echo.Echo
	metrics *metrics
	openapi []byte
	mcp     http.Handler
	keys    keyLocks
	// lastPrune is when expired idempotency keys were last pruned (unix nanoseconds).
	lastPrune atomic.Int64
	// limiters holds each API key's token bucket.
	limiters limiters
}

// New returns a Server with every route registered.
func New(cfg Config) *Server {
	cfg.setDefaults()
	s := &Server{cfg: cfg, mem: cfg.Memory, log: cfg.Logger}
	s.limiters = limiters{limit: rate.Limit(cfg.RateLimit), burst: cfg.RateBurst}
	if cfg.RateLimit < 0 {
		s.limiters.limit = rate.Inf
	}
	s.metrics = newMetrics(cfg.Registry, cfg.Logger)
	s.mcp = mcpserver.Handler(cfg.BodyLimit)

	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.handleError
	s.echo = e

	// Outermost first: metrics sees the final status, so it also renders errors.
	e.Use(s.metrics.middleware())
	e.Use(middleware.RecoverWithConfig(middleware.RecoverConfig{
		DisableErrorHandler: true, // the error flows back to the metrics middleware
		LogErrorFunc: func(c echo.Context, err error, stack []byte) error {
			s.log.Error("api: panic", "method", c.Request().Method, "route", c.Path(), "err", err, "stack", string(stack))
			return fmt.Errorf("api: panic: %w", err)
		},
	}))
	e.Use(s.timeout)
	e.Use(s.authenticate)
	e.Use(s.rateLimit)
	e.Use(s.idempotency) // after authenticate: idempotency keys are scoped by tenant

	s.routes()
	doc, err := openAPIDocument()
	if err != nil {
		s.log.Error("api: build the OpenAPI document", "err", err)
	}
	s.openapi = doc
	return s
}

// Handler returns the http.Handler that serves the API.
func (s *Server) Handler() http.Handler { return s.echo }

// Route is one route the server serves; Path has {name} placeholders, as in OpenAPI.
type Route struct{ Method, Path string }

// Routes lists every route the server serves, so that tests can walk all of them (the
// cross-tenant test does).
func (s *Server) Routes() []Route {
	var out []Route
	for _, r := range s.echo.Routes() {
		out = append(out, Route{Method: r.Method, Path: echoParamRE.ReplaceAllString(r.Path, "{$1}")})
	}
	return out
}

var echoParamRE = regexp.MustCompile(`:([a-z_]+)`)

func (s *Server) routes() {
	e := s.echo
	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	e.GET("/metrics", echo.WrapHandler(s.metrics.handler()))
	e.GET("/openapi.json", s.openAPI)
	e.POST("/mcp", s.serveMCP)

	e.POST("/v1/agents", s.createAgent)
	e.GET("/v1/agents", s.listAgents)
	e.GET("/v1/agents/:agent_id", s.getAgent)
	e.PATCH("/v1/agents/:agent_id", s.updateAgent)
	e.DELETE("/v1/agents/:agent_id", s.deleteAgent)
	e.GET("/v1/agents/:agent_id/stats", s.agentStats)
	e.GET("/v1/agents/:agent_id/export", s.exportAgent)
	e.POST("/v1/agents/import", s.importAgent)
	e.POST("/v1/agents/import/letta", s.importLetta)

	e.POST("/v1/agents/:agent_id/messages", s.appendMessages)
	e.GET("/v1/agents/:agent_id/messages", s.listMessages)
	e.GET("/v1/agents/:agent_id/context", s.getContext)
	e.GET("/v1/agents/:agent_id/summaries", s.listSummaries)
	e.POST("/v1/agents/:agent_id/compactions", s.requestCompaction)
	e.GET("/v1/compactions/:job_id", s.getCompaction)
	e.GET("/v1/agents/:agent_id/compactions", s.listCompactions)
	e.GET("/v1/agents/:agent_id/compaction-budget", s.compactionBudget)

	e.GET("/v1/agents/:agent_id/blocks", s.listBlocks)
	e.GET("/v1/agents/:agent_id/blocks/:label", s.getBlock)
	e.PUT("/v1/agents/:agent_id/blocks/:label", s.putBlock)

	e.POST("/v1/agents/:agent_id/archival", s.insertPassage)
	e.POST("/v1/agents/:agent_id/archival/search", s.searchArchival)
	e.POST("/v1/agents/:agent_id/archival/batch", s.insertPassages)
	e.GET("/v1/agents/:agent_id/archival/:passage_id", s.getPassage)
	e.DELETE("/v1/agents/:agent_id/archival/:passage_id", s.deletePassage)
	e.GET("/v1/agents/:agent_id/archival/:passage_id/history", s.passageHistory)
	e.POST("/v1/agents/:agent_id/archival/:passage_id/invalidate", s.invalidatePassage)
	e.POST("/v1/agents/:agent_id/archival/:passage_id/restore", s.restorePassage)

	e.POST("/v1/agents/:agent_id/recall/search", s.searchRecall)

	e.GET("/v1/agents/:agent_id/tools", s.listTools)
	e.POST("/v1/agents/:agent_id/tool-calls", s.callTool)

	e.GET("/v1/agents/:agent_id/permissions", s.agentPermissions)
	e.GET("/v1/agents/:agent_id/blocks/:label/history", s.blockHistory)
	e.POST("/v1/agents/:agent_id/blocks/:label/undo", s.undoBlock)
	e.POST("/v1/agents/:agent_id/attachments", s.attachBlock)
	e.DELETE("/v1/agents/:agent_id/attachments/:block_id", s.detachBlock)
	e.POST("/v1/blocks", s.createSharedBlock)
	e.GET("/v1/blocks/:block_id", s.getSharedBlock)

	// Admin routes take requireAdmin per route: an echo Group with middleware would register
	// catch-all routes of its own.
	e.POST("/v1/admin/keys", s.createKey, requireAdmin)
	e.GET("/v1/admin/keys", s.listKeys, requireAdmin)
	e.DELETE("/v1/admin/keys/:key_id", s.revokeKey, requireAdmin)
	e.GET("/v1/admin/tenants/:tenant/permissions", s.getTenantPermissions, requireAdmin)
	e.PUT("/v1/admin/tenants/:tenant/permissions", s.putTenantPermissions, requireAdmin)
}

// timeout bounds the request's context by Config.RequestTimeout.
func (s *Server) timeout(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx, cancel := context.WithTimeout(c.Request().Context(), s.cfg.RequestTimeout)
		defer cancel()
		// The body must arrive in time too, or a slow client would hold the request open. (A
		// writer that has no deadline, such as a test's recorder, is left as it is.)
		_ = http.NewResponseController(c.Response().Writer).SetReadDeadline(time.Now().Add(s.cfg.RequestTimeout))
		c.SetRequest(c.Request().WithContext(ctx))
		return next(c)
	}
}

func (s *Server) healthz(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) readyz(c echo.Context) error {
	if s.cfg.Ready != nil {
		if err := s.cfg.Ready(c.Request().Context()); err != nil {
			s.log.Warn("api: not ready", "err", err)
			return fail(errUnavailable, "not ready: a store is unreachable")
		}
	}
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) openAPI(c echo.Context) error {
	if s.openapi == nil {
		return errors.New("api: no OpenAPI document")
	}
	return c.JSONBlob(http.StatusOK, s.openapi)
}

// list is the answer of a paginated list; NextCursor is "" on the last page.
type list[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor"`
}

// nonNil makes an empty list answer [] rather than null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
