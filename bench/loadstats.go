package bench

import (
	"os"
	"sort"
	"strconv"
	"strings"
	"time"
)

// EndpointStats are one endpoint's figures over the concurrent phase.
type EndpointStats struct {
	N      int     `json:"n"`
	Errors int     `json:"errors"`
	RPS    float64 `json:"rps"`
	Latency
	FirstError string `json:"first_error,omitempty"`
}

// Latency holds percentiles in milliseconds.
type Latency struct {
	P50 float64 `json:"p50"`
	P95 float64 `json:"p95"`
	P99 float64 `json:"p99"`
}

func latencyOf(ms []float64) Latency {
	sort.Float64s(ms)
	return Latency{P50: round4(percentile(ms, 50)), P95: round4(percentile(ms, 95)), P99: round4(percentile(ms, 99))}
}

// endpointTimes collects one endpoint's latencies.
type endpointTimes struct {
	ms       []float64
	errors   int
	firstErr string
}

func (t *endpointTimes) summary(elapsed time.Duration) *EndpointStats {
	if t == nil {
		return &EndpointStats{}
	}
	s := &EndpointStats{N: len(t.ms), Errors: t.errors, FirstError: t.firstErr, Latency: latencyOf(t.ms)}
	if elapsed > 0 {
		s.RPS = round4(float64(len(t.ms)) / elapsed.Seconds())
	}
	return s
}

// peakRSSMB reads this process's peak resident set size (VmHWM) in MiB, or 0 where /proc is
// not available.
func peakRSSMB() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				kb, err := strconv.ParseFloat(f[0], 64)
				if err == nil {
					return round4(kb / 1024)
				}
			}
		}
	}
	return 0
}
