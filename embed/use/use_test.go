package use

import (
	"context"
	"errors"
	"math"
	"strings"
	"sync"
	"testing"

	"github.com/memsvc/memsvc/embed"
)

func TestEmbedEdgeCases(t *testing.T) {
	enc := New()
	ctx := context.Background()
	if enc.Dim() != 512 || enc.Model() != Model {
		t.Fatalf("Dim %d Model %q", enc.Dim(), enc.Model())
	}
	out, err := enc.Embed(ctx, nil)
	if err != nil || len(out) != 0 {
		t.Fatalf("Embed(nil) = %d vectors, %v", len(out), err)
	}
	texts := []string{
		"", "\xff\xfe invalid utf-8 \xc3", strings.Repeat("long text ", 5000), "\x00", "ok",
	}
	out, err = enc.Embed(ctx, texts)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range out {
		if len(v) != 512 || cap(v) != 512 {
			t.Fatalf("text %d: len %d cap %d", i, len(v), cap(v))
		}
		var ss float64
		for _, x := range v {
			if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
				t.Fatalf("text %d: non-finite value", i)
			}
			ss += float64(x) * float64(x)
		}
		want := 1.0
		if i == 0 {
			want = 0 // no token
		}
		if math.Abs(ss-want) > 1e-4 {
			t.Errorf("text %d: squared norm %v, want %v", i, ss, want)
		}
	}
	// Only the first 128 tokens count.
	long := strings.Repeat("Caroline moved to Berlin. ", 40)
	ids, _ := enc.Tokenize(long)
	if len(ids) <= maxTokens {
		t.Fatalf("long text has only %d tokens", len(ids))
	}
	cut, err := enc.Embed(ctx, []string{long, long + " And then she moved to Tokyo and never came back."})
	if err != nil {
		t.Fatal(err)
	}
	if c := cosine(cut[0], cut[1]); c != 1 {
		t.Errorf("text past token 128 changed the vector (cosine %v)", c)
	}
}

func TestEmbedCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	out, err := New().Embed(ctx, []string{"hello"})
	if !errors.Is(err, context.Canceled) || out != nil {
		t.Fatalf("got %d vectors, %v; want nil, context.Canceled", len(out), err)
	}
}

// TestEmbedConcurrent runs Embed from several goroutines (go test -race
// checks the shared model and the work pool).
func TestEmbedConcurrent(t *testing.T) {
	enc := New()
	want, err := enc.Embed(context.Background(), []string{"My sister works as a nurse in Lisbon."})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			texts := []string{"a short one", "My sister works as a nurse in Lisbon.", strings.Repeat("word ", 10*g+1)}
			got, err := enc.Embed(context.Background(), texts)
			if err != nil {
				t.Error(err)
				return
			}
			if c := cosine(got[1], want[0]); c < 0.99999 {
				t.Errorf("goroutine %d: cosine %v with the single embedding", g, c)
			}
		}()
	}
	wg.Wait()
}

// A call limited to one goroutine (embed.WithWorkers, as background work embeds) gives the same
// vectors as one spread over every core.
func TestEmbedWithOneWorker(t *testing.T) {
	enc := New()
	var texts []string
	for i := range 300 { // several batches
		texts = append(texts, strings.Repeat("the lighthouse keeper logs the tide ", 1+i%7))
	}
	all, err := enc.Embed(context.Background(), texts)
	if err != nil {
		t.Fatal(err)
	}
	one, err := enc.Embed(embed.WithWorkers(context.Background(), 1), texts)
	if err != nil {
		t.Fatal(err)
	}
	for i := range all {
		for j := range all[i] {
			if all[i][j] != one[i][j] {
				t.Fatalf("text %d differs at %d: %v vs %v", i, j, all[i][j], one[i][j])
			}
		}
	}
}
