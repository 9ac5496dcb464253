// Package retry is the retry policy of memsvc's clients of model servers (Ollama, and
// OpenAI-compatible embedding endpoints): how many times a transient failure is tried again,
// and how long to wait before each try.
package retry

import (
	"context"
	"math/rand/v2"
	"time"
)

// Defaults of Normalize.
const (
	DefaultRetries = 3
	DefaultBackoff = 250 * time.Millisecond
)

// Normalize applies the defaults of a client's Retries and Backoff settings: retries 0 means
// DefaultRetries and a negative count means none; backoff 0 means DefaultBackoff.
func Normalize(retries int, backoff time.Duration) (int, time.Duration) {
	switch {
	case retries == 0:
		retries = DefaultRetries
	case retries < 0:
		retries = 0
	}
	if backoff == 0 {
		backoff = DefaultBackoff
	}
	return retries, backoff
}

// Delay is the wait before retry n+1 (n from 0): base·2^n, at most 30·base, with ±20% jitter so
// that clients failing together do not retry together.
func Delay(base time.Duration, n int) time.Duration {
	d := min(base<<min(max(n, 0), 5), 30*base)
	return d + time.Duration((rand.Float64()*0.4-0.2)*float64(d))
}

// Sleep waits d, or until ctx is done (then it returns ctx.Err()).
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
