package compaction

import (
	"context"
	"testing"
	"time"
)

// A worker rests after a job so that it works at most CPUShare of the time; with a share of 1 it
// does not rest, and a cancelled context (the queue stopping) ends the rest.
func TestWorkerRestsForItsCPUShare(t *testing.T) {
	s := &Service{cfg: Config{CPUShare: 0.25}}
	t0 := time.Now()
	s.rest(context.Background(), 20*time.Millisecond)
	if d := time.Since(t0); d < 60*time.Millisecond {
		t.Fatalf("rested %v after a 20ms job at share 0.25, want at least 60ms", d)
	}
	s.cfg.CPUShare = 1
	t0 = time.Now()
	s.rest(context.Background(), 2*time.Second)
	if d := time.Since(t0); d > time.Second {
		t.Fatalf("rested %v at share 1", d)
	}
	s.cfg.CPUShare = 0.1
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	t0 = time.Now()
	s.rest(ctx, 2*time.Second)
	if d := time.Since(t0); d > time.Second {
		t.Fatalf("rested %v with the context cancelled", d)
	}
}

// The share defaults to a quarter and cannot exceed 1.
func TestCPUShareConfig(t *testing.T) {
	e := newEnv(t, backends()[0], nil, nil, false)
	if got := e.comp.cfg.CPUShare; got != 0.25 {
		t.Fatalf("default CPUShare %v", got)
	}
	cfg := e.comp.cfg
	cfg.CPUShare = 1.5
	if _, err := New(cfg); err == nil {
		t.Fatal("CPUShare 1.5 accepted")
	}
}
