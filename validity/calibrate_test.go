package validity

import (
	"math"
	"testing"
)

func uniform(lo, hi float64, n int) Distribution {
	d := make(Distribution, n)
	for i := range d {
		d[i] = lo + (hi-lo)*float64(i)/float64(n-1)
	}
	return d
}

// A threshold keeps its rank among unrelated pairs: the same distribution leaves it as it is, a
// distribution shifted down moves it down by as much, and one compressed toward 0 scales it.
func TestCalibratedKeepsRank(t *testing.T) {
	ref := uniform(0.2, 0.8, 1000)
	cfg := Default
	if got := cfg.Calibrated(ref, ref); math.Abs(got.SupersedeCosine-cfg.SupersedeCosine) > 1e-9 || math.Abs(got.GroupCosine-cfg.GroupCosine) > 1e-9 {
		t.Fatalf("same distribution: %v, %v", got.SupersedeCosine, got.GroupCosine)
	}
	got := cfg.Calibrated(ref, uniform(0, 0.6, 1000))
	if math.Abs(got.SupersedeCosine-(cfg.SupersedeCosine-0.2)) > 1e-3 || math.Abs(got.GroupCosine-(cfg.GroupCosine-0.2)) > 1e-3 {
		t.Fatalf("shifted: %v, %v", got.SupersedeCosine, got.GroupCosine)
	}
	// Past the reference's largest cosine the rank runs on linearly to cosine 1.
	c := Config{SupersedeCosine: 0.9, GroupCosine: 0.85}
	got = c.Calibrated(ref, uniform(0, 0.5, 1000))
	if math.Abs(got.SupersedeCosine-0.75) > 1e-3 || math.Abs(got.GroupCosine-0.625) > 1e-3 {
		t.Fatalf("beyond the sample: %v, %v", got.SupersedeCosine, got.GroupCosine)
	}
	if got := cfg.Calibrated(nil, ref); got != cfg {
		t.Fatalf("no reference changed the policy: %+v", got)
	}
	if got := (Config{}).Calibrated(ref, uniform(0, 0.6, 1000)); got.SupersedeCosine != 0 || got.GroupCosine != 0 {
		t.Fatalf("an unset threshold was set: %+v", got)
	}
}

// The distribution is every pair's cosine, sorted.
func TestNewDistribution(t *testing.T) {
	d := NewDistribution([][]float32{{1, 0}, {0, 1}, {1, 1}})
	want := []float64{0, math.Sqrt(0.5), math.Sqrt(0.5)}
	if len(d) != 3 {
		t.Fatalf("%v", d)
	}
	for i := range want {
		if math.Abs(d[i]-want[i]) > 1e-6 {
			t.Fatalf("%v, want %v", d, want)
		}
	}
	if n := len(CalibrationTexts()); n < 60 {
		t.Fatalf("%d calibration texts", n)
	}
}
