package api

import (
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/memsvc/memsvc/pager"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// routeUnmatched labels requests that matched no route, so random paths do not create series.
const routeUnmatched = "unmatched"

// metrics holds the server's Prometheus collectors.
type metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	events   *prometheus.CounterVec
}

func newMetrics(reg *prometheus.Registry, log *slog.Logger) *metrics {
	if reg == nil {
		reg = prometheus.NewRegistry()
		register(reg, log, collectors.NewGoCollector())
		register(reg, log, collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	labels := []string{"route", "method", "status"}
	return &metrics{
		reg: reg,
		requests: register(reg, log, prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "memsvc_http_requests_total",
			Help: "HTTP requests answered, by route template, method and status.",
		}, labels)),
		duration: register(reg, log, prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "memsvc_http_request_duration_seconds",
			Help:    "Time to answer an HTTP request, by route template, method and status.",
			Buckets: prometheus.DefBuckets,
		}, labels)),
		events: register(reg, log, prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "memsvc_pager_events_total",
			Help: "Paging events committed (memory_pressure, evicted, summarized, compaction_queued), by type.",
		}, []string{"type"})),
	}
}

// register adds c to reg. When an equal collector is registered already (a second Server on one
// registry) it returns that one, so both count into the same series.
func register[C prometheus.Collector](reg *prometheus.Registry, log *slog.Logger, c C) C {
	err := reg.Register(c)
	var are prometheus.AlreadyRegisteredError
	switch {
	case errors.As(err, &are):
		if existing, ok := are.ExistingCollector.(C); ok {
			return existing
		}
		log.Error("api: a different collector is registered under the same name", "err", err)
	case err != nil:
		log.Error("api: register a metric", "err", err)
	}
	return c
}

// middleware records every request by route template. It renders errors itself (through the
// server's error handler) so that it sees the status actually sent.
func (m *metrics) middleware() echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			start := time.Now()
			err := next(c)
			if err != nil {
				c.Error(err)
			}
			route := c.Path()
			if route == "" || errors.Is(err, echo.ErrNotFound) {
				route = routeUnmatched
			}
			status := strconv.Itoa(c.Response().Status)
			method := c.Request().Method
			if !knownMethod(method) {
				method = "other"
			}
			m.requests.WithLabelValues(route, method, status).Inc()
			m.duration.WithLabelValues(route, method, status).Observe(time.Since(start).Seconds())
			return nil
		}
	}
}

func knownMethod(m string) bool {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions:
		return true
	}
	return false
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// RecordEvent counts a committed paging event. Pass it as pager.Config.OnEvent. The agent is not
// a label: one series per agent would grow without bound.
func (s *Server) RecordEvent(agentID string, e pager.Event) {
	if s == nil {
		return // an event before the Server exists
	}
	s.metrics.events.WithLabelValues(e.Type).Inc()
}
