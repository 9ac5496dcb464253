package compaction

import (
	"context"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/memsvc/memsvc/pager"
	"github.com/memsvc/memsvc/state"
)

// processCPU is the CPU time (user and system) this process has used.
func processCPU(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkCompaction: one compaction of an agent with a 2,048-token window (the load bench's),
// with the built-in extractive summarizer on the embedded store, run by the service's own job
// queue. cpu-ms/op is the process's CPU time from queueing to success: the job, the scheduler
// and the queue's polling together, everything a compaction costs the machine; ns/op is wall
// time, which includes the scheduler's polling delay.
func BenchmarkCompaction(b *testing.B) {
	e := newEnv(b, backends()[0], nil, nil, true)
	id := e.agent(2048)
	var cpu time.Duration
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		jobs := e.appendUntilEvicted(id, 1, func(j int) string { return note(i*1000 + j) })
		c0 := processCPU(b)
		b.StartTimer()
		e.wait(jobs...)
		cpu += processCPU(b) - c0
	}
	b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N), "cpu-ms/op")
}

// BenchmarkForegroundDuringBacklog: what a compaction backlog costs the requests beside it.
// Appends are offered at a fixed rate (open loop, 400/s over 16 agents with large windows, so
// they never page) for two seconds with no compaction running (idle), then for as long again
// right after the job queue starts on a backlog of one compaction for each of 200 other agents
// (2,048-token windows). p99 is from each append's scheduled start; the ratio is the issue's
// figure (goal ≤ 1.5). Each b.N is one full run. The process's CPU in each window and its
// threads' wait for a CPU (Linux) are reported too: a window that waited about as long as it ran
// measured a machine busy with other work.
func BenchmarkForegroundDuringBacklog(b *testing.B) {
	const (
		rate     = 400
		duration = 2 * time.Second
		backlog  = 200
	)
	var idle, busy, drained, idleCPU, busyCPU, idleWait, busyWait []float64
	// window runs one open-loop window and records the process's CPU and its threads' wait for a
	// CPU in it.
	window := func(e *env, fg []string, p99, cpu, wait *[]float64) {
		c0, w0 := processCPU(b), runqWait()
		*p99 = append(*p99, openLoopP99(b, e, fg, rate, duration))
		*cpu = append(*cpu, float64((processCPU(b)-c0).Microseconds())/1000)
		*wait = append(*wait, float64((runqWait()-w0).Microseconds())/1000)
	}
	for b.Loop() {
		e := newEnv(b, backends()[0], nil, func(c *Config) {
			if w, err := strconv.Atoi(os.Getenv("BENCH_WORKERS")); err == nil {
				c.Workers = w
			}
			if f, err := strconv.ParseFloat(os.Getenv("BENCH_CPU_SHARE"), 64); err == nil {
				c.CPUShare = f
			}
		}, false)
		var fg []string
		for range 16 {
			fg = append(fg, e.agent(pager.MaxContextWindow))
		}
		var jobs []string
		for i := range backlog {
			id := e.agent(2048)
			jobs = append(jobs, e.appendUntilEvicted(id, 1, func(j int) string { return note(i*1000 + j) })...)
		}
		window(e, fg, &idle, &idleCPU, &idleWait)
		e.start()
		window(e, fg, &busy, &busyCPU, &busyWait)
		n := 0
		for _, id := range jobs {
			if j, err := e.comp.Job(state.WithTenant(context.Background(), state.DefaultTenant), id); err == nil && j.Status == state.CompactionSucceeded {
				n++
			}
		}
		drained = append(drained, float64(n))
	}
	mean := func(xs []float64) float64 {
		s := 0.0
		for _, x := range xs {
			s += x
		}
		return s / float64(len(xs))
	}
	b.ReportMetric(mean(idle), "idle-p99-ms")
	b.ReportMetric(mean(busy), "backlog-p99-ms")
	b.ReportMetric(mean(busy)/mean(idle), "ratio")
	b.ReportMetric(mean(drained), "compactions-done")
	b.ReportMetric(mean(idleCPU), "idle-cpu-ms")
	b.ReportMetric(mean(busyCPU), "backlog-cpu-ms")
	b.ReportMetric(mean(idleWait), "idle-runq-ms")
	b.ReportMetric(mean(busyWait), "backlog-runq-ms")
}

// runqWait is how long this process's threads have waited for a CPU while runnable, summed from
// Linux's /proc/self/task/*/schedstat (0 elsewhere). On a shared machine it tells a window whose
// p99 other processes' CPU inflated: one whose run-queue wait nears its CPU time.
func runqWait() time.Duration {
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return 0
	}
	var sum time.Duration
	for _, t := range tasks {
		b, err := os.ReadFile("/proc/self/task/" + t.Name() + "/schedstat")
		if err != nil {
			continue // the thread exited
		}
		if f := strings.Fields(string(b)); len(f) >= 2 {
			if ns, err := strconv.ParseInt(f[1], 10, 64); err == nil {
				sum += time.Duration(ns)
			}
		}
	}
	return sum
}

// openLoopP99 offers appends to the agents round robin at rate per second for d, each in its own
// goroutine at its scheduled time, and returns the 99th percentile latency in milliseconds from
// the scheduled start.
func openLoopP99(b *testing.B, e *env, agents []string, rate int, d time.Duration) float64 {
	ctx := state.WithTenant(context.Background(), state.DefaultTenant)
	n := int(d.Seconds() * float64(rate))
	lat := make([]float64, n)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range n {
		at := start.Add(time.Duration(i) * time.Second / time.Duration(rate))
		time.Sleep(time.Until(at))
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := e.svc.Append(ctx, agents[i%len(agents)], []pager.MessageInput{{Role: "user", Content: note(i)}}); err != nil {
				b.Error(err)
			}
			lat[i] = float64(time.Since(at).Microseconds()) / 1000
		}()
	}
	wg.Wait()
	sort.Float64s(lat)
	return lat[len(lat)*99/100]
}
