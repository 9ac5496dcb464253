package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/memsvc/memsvc/pager"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/memsvc/memsvc/api"
)

func TestMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	e := newEnv(t, func(c *api.Config) { c.Registry = reg })
	e.do("GET", "/v1/agents/ag_a", "")
	e.do("GET", "/v1/agents/ag_b", "")
	e.do("GET", "/no/such/path", "")
	e.srv.RecordEvent("ag_a", pager.Event{Type: pager.EventEvicted, Count: 3})

	w := e.do("GET", "/metrics", "")
	if w.Code != http.StatusOK {
		t.Fatalf("/metrics answered %d", w.Code)
	}
	text := w.Body.String()
	for _, want := range []string{
		`memsvc_http_requests_total{method="GET",route="/v1/agents/:agent_id",status="404"} 2`,
		`memsvc_http_requests_total{method="GET",route="unmatched",status="404"} 1`,
		`memsvc_http_request_duration_seconds_count{method="GET",route="/v1/agents/:agent_id",status="404"} 2`,
		`memsvc_pager_events_total{type="evicted"} 1`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if strings.Contains(text, "ag_a") || strings.Contains(text, "/no/such/path") {
		t.Error("a raw path or agent ID became a label")
	}

	// A second server on the same registry shares the series instead of failing.
	e2 := api.New(api.Config{Memory: e.svc, Registry: reg})
	e2.RecordEvent("ag_a", pager.Event{Type: pager.EventEvicted})
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() == "memsvc_pager_events_total" {
			if m := f.GetMetric(); len(m) != 1 || m[0].GetCounter().GetValue() != 2 {
				t.Errorf("events = %v, want one series at 2", m)
			}
		}
	}
}

// The pager's events reach the counter through Config.OnEvent.
func TestMetricsCountPagerEvents(t *testing.T) {
	e := newEnv(t)
	id := e.agent(`{"name": "s", "context_window": 512, "tools_in_context": false, "pager": {"keep_last": 1}}`)
	msg := `{"messages": [{"role": "user", "content": "` + strings.Repeat("Here is a sentence about the weather in Paris today. ", 5) + `"}]}`
	for range 20 {
		e.call("POST", "/v1/agents/"+id+"/messages", msg, http.StatusOK)
	}
	text := e.do("GET", "/metrics", "").Body.String()
	for _, want := range []string{`memsvc_pager_events_total{type="memory_pressure"}`, `memsvc_pager_events_total{type="evicted"}`, "go_goroutines"} {
		if !strings.Contains(text, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}
