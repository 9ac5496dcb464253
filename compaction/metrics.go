package compaction

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the compaction collectors. The agent is not a label: one series per agent would
// grow without bound; the per-agent figures are in each compaction's record.
type metrics struct {
	tokens         *prometheus.CounterVec
	jobs           *prometheus.CounterVec
	retention      prometheus.Histogram
	wait           prometheus.Histogram
	throttled      prometheus.Gauge
	dispatched     prometheus.Counter
	redispatched   prometheus.Counter
	contradictions *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		tokens: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "memsvc_compaction_tokens_total",
			Help: "Tokens compaction jobs spent, by direction (in: the summarizer's and contradiction checker's input; out: their output).",
		}, []string{"direction"}),
		jobs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "memsvc_compaction_jobs_total",
			Help: "Compaction job attempts, by outcome (succeeded, retried, failed, skipped: stale or duplicate).",
		}, []string{"outcome"}),
		retention: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "memsvc_compaction_retention_ratio",
			Help:    "Share of pinned facts a compaction's summary (or archival) kept before the missing ones were written verbatim.",
			Buckets: []float64{0.5, 0.8, 0.9, 0.95, 0.99, 1},
		}),
		wait: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "memsvc_compaction_queue_wait_seconds",
			Help:    "Time from a compaction's queueing to its hand-out to the job queue.",
			Buckets: prometheus.ExponentialBuckets(0.05, 4, 9),
		}),
		throttled: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "memsvc_compaction_throttled_agents",
			Help: "Agents whose compactions wait because they used their token budget for the period.",
		}),
		dispatched: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "memsvc_compaction_dispatched_total",
			Help: "Compactions handed to the job queue.",
		}),
		redispatched: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "memsvc_compaction_lease_expired_total",
			Help: "Compactions handed out again because their job stopped renewing its lease (its process died).",
		}),
		contradictions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "memsvc_compaction_contradiction_checks_total",
			Help: "Contradiction checks by the model, by verdict (contradicts, consistent, error).",
		}, []string{"verdict"}),
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{m.tokens, m.jobs, m.retention, m.wait, m.throttled, m.dispatched,
			m.redispatched, m.contradictions} {
			if err := reg.Register(c); err != nil {
				var are prometheus.AlreadyRegisteredError
				if !errors.As(err, &are) {
					continue
				}
			}
		}
	}
	return m
}
