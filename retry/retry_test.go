package retry

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestNormalize(t *testing.T) {
	for _, tc := range []struct {
		retries     int
		backoff     time.Duration
		wantRetries int
		wantBackoff time.Duration
	}{
		{0, 0, DefaultRetries, DefaultBackoff},
		{-1, time.Second, 0, time.Second},
		{5, time.Millisecond, 5, time.Millisecond},
	} {
		r, b := Normalize(tc.retries, tc.backoff)
		if r != tc.wantRetries || b != tc.wantBackoff {
			t.Errorf("Normalize(%d, %v) = %d, %v; want %d, %v", tc.retries, tc.backoff, r, b, tc.wantRetries, tc.wantBackoff)
		}
	}
}

func TestDelay(t *testing.T) {
	base := 100 * time.Millisecond
	for n, want := range []time.Duration{base, 2 * base, 4 * base, 8 * base, 16 * base, 30 * base, 30 * base, 30 * base} {
		for range 50 {
			d := Delay(base, n)
			if d < want*8/10 || d > want*12/10 {
				t.Fatalf("Delay(%v, %d) = %v, want %v ± 20%%", base, n, d, want)
			}
		}
	}
	if d := Delay(base, -3); d < base*8/10 || d > base*12/10 {
		t.Fatalf("Delay(%v, -3) = %v, want about the base", base, d)
	}
}

func TestSleep(t *testing.T) {
	if err := Sleep(context.Background(), time.Millisecond); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Sleep(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Fatalf("Sleep on a done context: %v", err)
	}
}
