package api

import (
	"context"
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/memsvc/memsvc/compaction"
	"github.com/memsvc/memsvc/pager"
)

// Compactions is what the API calls on the compaction service; *compaction.Service implements it.
// Errors follow Memory's: a *pager.Error of kind pager.ErrNotFound for an unknown agent or job
// (or one of another tenant), anything else internal.
type Compactions interface {
	// Request compacts an agent's context on demand and returns the queued job.
	Request(ctx context.Context, agentID string) (compaction.Job, error)
	// Job returns a compaction job.
	Job(ctx context.Context, id string) (compaction.Job, error)
	// Jobs returns an agent's compaction jobs, oldest first, at most limit. The caller checks
	// that the agent is the tenant's.
	Jobs(ctx context.Context, agentID string, limit int) ([]compaction.Job, error)
	// Budget returns an agent's account against the fair scheduler's per-agent budget.
	Budget(ctx context.Context, agentID string) (compaction.BudgetView, error)
}

// requestCompaction answers 202 with the queued job and its Location.
func (s *Server) requestCompaction(c echo.Context) error {
	id, _, err := agentParam(c)
	if err != nil {
		return err
	}
	if s.cfg.Compactions == nil {
		return fail(errUnavailable, "compaction jobs are not configured")
	}
	j, err := s.cfg.Compactions.Request(c.Request().Context(), id)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/v1/compactions/"+url.PathEscape(j.ID))
	return c.JSON(http.StatusAccepted, j)
}

func (s *Server) getCompaction(c echo.Context) error {
	if _, err := query(c); err != nil {
		return err
	}
	id, err := param(c, "job_id")
	if err != nil {
		return err
	}
	if s.cfg.Compactions == nil {
		return fail(errUnavailable, "compaction jobs are not configured")
	}
	j, err := s.cfg.Compactions.Job(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, j)
}

// NewRegistry returns a Prometheus registry with the Go and process collectors, to share between
// the Server (Config.Registry) and other components' collectors (the compaction metrics).
func NewRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// maxJobsListed bounds GET /v1/agents/{agent_id}/compactions.
const maxJobsListed = 1000

// listCompactions answers an agent's compaction jobs, oldest first: the first limit of them
// (default 100, at most maxJobsListed), in one page.
func (s *Server) listCompactions(c echo.Context) error {
	id, q, err := agentParam(c, "limit")
	if err != nil {
		return err
	}
	limit, err := limitParam(q["limit"])
	if err != nil {
		return err
	}
	switch {
	case limit == 0:
		limit = 100
	case limit > maxJobsListed:
		return fail(pager.ErrInvalidArgument, "limit must be at most %d, got %d", maxJobsListed, limit)
	}
	if s.cfg.Compactions == nil {
		return fail(errUnavailable, "compaction jobs are not configured")
	}
	// The agent is looked up under the request's tenant first: another tenant's agent answers 404.
	if _, err := s.mem.GetAgent(c.Request().Context(), id); err != nil {
		return err
	}
	jobs, err := s.cfg.Compactions.Jobs(c.Request().Context(), id, limit)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, list[compaction.Job]{Items: nonNil(jobs)})
}

// compactionBudget answers an agent's compaction account against its budget.
func (s *Server) compactionBudget(c echo.Context) error {
	id, _, err := agentParam(c)
	if err != nil {
		return err
	}
	if s.cfg.Compactions == nil {
		return fail(errUnavailable, "compaction jobs are not configured")
	}
	b, err := s.cfg.Compactions.Budget(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, b)
}
