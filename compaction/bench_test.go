package compaction

import (
	"syscall"
	"testing"
	"time"
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
