package pager

import (
	"context"
	"testing"

	"github.com/memsvc/memsvc/embed"
	"github.com/memsvc/memsvc/embed/use"
	"github.com/memsvc/memsvc/validity"
)

// The thresholds stay as chosen under the built-in embedder, and move with another embedder's
// distribution: USE-lite's unrelated pairs sit far lower than GloVe-SIF's, and so do its
// thresholds, in the same order.
func TestCalibratedScoring(t *testing.T) {
	ctx := context.Background()
	b := embed.NewBuiltin()
	if err := b.Load(); err != nil {
		t.Fatal(err)
	}
	got, err := CalibratedScoring(ctx, b)
	if err != nil || got != validity.Default {
		t.Fatalf("builtin: %+v, %v", got, err)
	}
	u := use.New()
	if err := u.Load(); err != nil {
		t.Fatal(err)
	}
	got, err = CalibratedScoring(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	d := validity.Default
	if !(got.SupersedeCosine > 0 && got.SupersedeCosine < d.SupersedeCosine && got.GroupCosine < d.GroupCosine && got.SupersedeCosine < got.GroupCosine) {
		t.Fatalf("use-lite: supersede %.3f group %.3f (builtin %.2f, %.2f)", got.SupersedeCosine, got.GroupCosine, d.SupersedeCosine, d.GroupCosine)
	}
	if got.Weights != d.Weights || got.HalfLife != d.HalfLife {
		t.Fatalf("calibration changed more than the thresholds: %+v", got)
	}
}
