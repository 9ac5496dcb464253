package pager

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/memsvc/memsvc/state"
)

// BenchmarkAppend measures one in-process append of one message to an agent with a large window
// (no eviction), on the embedded store. Embedding happens off the request path and is excluded:
// the background embedder is not started.
func BenchmarkAppend(b *testing.B) {
	svc := newBenchService(b)
	ctx := state.WithTenant(context.Background(), state.DefaultTenant)
	a, err := svc.CreateAgent(ctx, AgentSpec{Name: "bench", System: "You are a helpful assistant.", ContextWindow: MaxContextWindow})
	if err != nil {
		b.Fatal(err)
	}
	msgs := make([][]MessageInput, 64)
	for i := range msgs {
		msgs[i] = []MessageInput{{Role: "user", Content: fmt.Sprintf(
			"Message %d: we talked about the garden, the weather on Tuesday, and the trip to Lisbon next month.", i)}}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if _, err := svc.Append(ctx, a.ID, msgs[i%len(msgs)]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAppendPaging is the same with a 2,000-token window, so appends regularly evict and
// summarize.
func BenchmarkAppendPaging(b *testing.B) {
	svc := newBenchService(b)
	ctx := state.WithTenant(context.Background(), state.DefaultTenant)
	no := false
	a, err := svc.CreateAgent(ctx, AgentSpec{Name: "bench", ContextWindow: 2000, ToolsInContext: &no})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, err := svc.Append(ctx, a.ID, []MessageInput{{Role: "user", Content: fmt.Sprintf(
			"Message %d: we talked about the garden, the weather on Tuesday, and the trip to Lisbon next month.", i)}}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAppendParallel appends from concurrent goroutines, each to its own agent, so commits
// are shared (group commit). ns/op is wall time per message across all goroutines.
func BenchmarkAppendParallel(b *testing.B) {
	svc := newBenchService(b)
	ctx := state.WithTenant(context.Background(), state.DefaultTenant)
	var next atomic.Int64
	b.SetParallelism(32) // 64 appenders on 2 cores
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		a, err := svc.CreateAgent(ctx, AgentSpec{Name: "bench", ContextWindow: MaxContextWindow})
		if err != nil {
			b.Error(err)
			return
		}
		for pb.Next() {
			i := next.Add(1)
			if _, err := svc.Append(ctx, a.ID, []MessageInput{{Role: "user", Content: fmt.Sprintf(
				"Message %d: we talked about the garden, the weather on Tuesday, and the trip to Lisbon next month.", i)}}); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkAppendBatch16 appends 16 messages per call; ns/op is per message.
func BenchmarkAppendBatch16(b *testing.B) {
	svc := newBenchService(b)
	ctx := state.WithTenant(context.Background(), state.DefaultTenant)
	a, err := svc.CreateAgent(ctx, AgentSpec{Name: "bench", ContextWindow: MaxContextWindow})
	if err != nil {
		b.Fatal(err)
	}
	batch := make([]MessageInput, 16)
	for i := range batch {
		batch[i] = MessageInput{Role: "user", Content: fmt.Sprintf(
			"Message %d: we talked about the garden, the weather on Tuesday, and the trip to Lisbon next month.", i)}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i += len(batch) {
		if _, err := svc.Append(ctx, a.ID, batch); err != nil {
			b.Fatal(err)
		}
	}
}
