package api_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/memsvc/memsvc/api"
	"github.com/memsvc/memsvc/compaction"
	"github.com/memsvc/memsvc/pager"
)

// fakeCompactions answers as compaction.Service does: a requested job is queued; an unknown job
// or agent is pager.ErrNotFound.
type fakeCompactions struct{ jobs map[string]compaction.Job }

func (f *fakeCompactions) Request(ctx context.Context, agentID string) (compaction.Job, error) {
	if agentID != "ag_known" {
		return compaction.Job{}, &pager.Error{Kind: pager.ErrNotFound, Msg: "agent " + agentID + " does not exist"}
	}
	j := compaction.Job{ID: "cmp_1", AgentID: agentID, Status: "queued", Reason: "requested", MissingFacts: []string{},
		CreatedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	f.jobs[j.ID] = j
	return j, nil
}

func (f *fakeCompactions) Job(ctx context.Context, id string) (compaction.Job, error) {
	j, ok := f.jobs[id]
	if !ok {
		return compaction.Job{}, &pager.Error{Kind: pager.ErrNotFound, Msg: "compaction " + id + " does not exist"}
	}
	return j, nil
}

func (f *fakeCompactions) Jobs(ctx context.Context, agentID string, limit int) ([]compaction.Job, error) {
	var out []compaction.Job
	for _, j := range f.jobs {
		if j.AgentID == agentID && len(out) < limit {
			out = append(out, j)
		}
	}
	return out, nil
}

func (f *fakeCompactions) Budget(ctx context.Context, agentID string) (compaction.BudgetView, error) {
	if agentID != "ag_known" {
		return compaction.BudgetView{}, &pager.Error{Kind: pager.ErrNotFound, Msg: "agent " + agentID + " does not exist"}
	}
	rest := 600
	return compaction.BudgetView{AgentID: agentID, TokensPerPeriod: 1000, PeriodSeconds: 3600, Used: 400, Remaining: &rest}, nil
}

func TestCompactionBudgetRoute(t *testing.T) {
	e := newEnv(t, func(c *api.Config) { c.Compactions = &fakeCompactions{jobs: map[string]compaction.Job{}} })
	b := e.call("GET", "/v1/agents/ag_known/compaction-budget", "", 200)
	if b["used"] != 400.0 || b["remaining"] != 600.0 || b["tokens_per_period"] != 1000.0 || b["throttled"] != false {
		t.Fatalf("budget: %v", b)
	}
	e.wantError(e.do("GET", "/v1/agents/ag_nope/compaction-budget", ""), 404, "not_found", "ag_nope")
	e.wantError(e.do("GET", "/v1/agents/ag_known/compaction-budget?x=1", ""), 400, "invalid_argument")
	bare := newEnv(t)
	bare.wantError(bare.do("GET", "/v1/agents/ag_known/compaction-budget", ""), 503, "unavailable")
}

// GET /v1/agents/{agent_id}/compactions lists an existing agent's jobs; an unknown agent is 404
// before the jobs are asked for, and the limit is bounded.
func TestListCompactions(t *testing.T) {
	fake := &fakeCompactions{jobs: map[string]compaction.Job{}}
	e := newEnv(t, func(c *api.Config) { c.Compactions = fake })
	ag := e.call("POST", "/v1/agents", `{"name": "a", "context_window": 4000}`, 201)
	id := ag["id"].(string)
	fake.jobs["cmp_a"] = compaction.Job{ID: "cmp_a", AgentID: id, Status: "succeeded", MissingFacts: []string{}}
	fake.jobs["cmp_b"] = compaction.Job{ID: "cmp_b", AgentID: "ag_other", Status: "queued", MissingFacts: []string{}}

	l := e.call("GET", "/v1/agents/"+id+"/compactions?limit=5", "", 200)
	items := l["items"].([]any)
	if len(items) != 1 || items[0].(map[string]any)["id"] != "cmp_a" || l["next_cursor"] != "" {
		t.Fatalf("jobs of %s: %v", id, l)
	}
	fake.jobs["cmp_b"] = compaction.Job{ID: "cmp_b", AgentID: "ag_nope", Status: "queued", MissingFacts: []string{}}
	e.wantError(e.do("GET", "/v1/agents/ag_nope/compactions", ""), 404, "not_found", "ag_nope")
	e.wantError(e.do("GET", "/v1/agents/"+id+"/compactions?limit=1001", ""), 400, "invalid_argument", "1000")
	e.wantError(e.do("GET", "/v1/agents/"+id+"/compactions?limit=0", ""), 400, "invalid_argument")
	e.wantError(e.do("GET", "/v1/agents/"+id+"/compactions?status=x", ""), 400, "invalid_argument")

	bare := newEnv(t)
	bare.wantError(bare.do("GET", "/v1/agents/"+id+"/compactions", ""), 503, "unavailable")
}

func TestCompactionRoutes(t *testing.T) {
	e := newEnv(t, func(c *api.Config) { c.Compactions = &fakeCompactions{jobs: map[string]compaction.Job{}} })
	w := e.do("POST", "/v1/agents/ag_known/compactions", "")
	if w.Code != http.StatusAccepted || w.Header().Get("Location") != "/v1/compactions/cmp_1" {
		t.Fatalf("POST compactions: %d %s, Location %q", w.Code, w.Body, w.Header().Get("Location"))
	}
	j := e.call("GET", "/v1/compactions/cmp_1", "", 200)
	for _, k := range []string{"id", "agent_id", "status", "summary_id", "tokens_in", "tokens_out", "error", "retention"} {
		if _, ok := j[k]; !ok {
			t.Errorf("job lacks %q: %v", k, j)
		}
	}
	if j["status"] != "queued" || j["agent_id"] != "ag_known" {
		t.Fatalf("job: %v", j)
	}
	e.wantError(e.do("GET", "/v1/compactions/cmp_nope", ""), 404, "not_found", "cmp_nope")
	e.wantError(e.do("POST", "/v1/agents/ag_nope/compactions", ""), 404, "not_found", "ag_nope")
	e.wantError(e.do("GET", "/v1/compactions/cmp_1?x=1", ""), 400, "invalid_argument")

	bare := newEnv(t)
	bare.wantError(bare.do("GET", "/v1/compactions/cmp_1", ""), 503, "unavailable")
}
