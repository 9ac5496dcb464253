package bench

import (
	"math"
	"testing"
)

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestRecallAtK(t *testing.T) {
	ranked := []string{"D1:1", "D2:5", "D1:3", "D3:1", "D1:1"}
	for _, c := range []struct {
		evidence []string
		k        int
		want     float64
	}{
		{[]string{"D1:1"}, 1, 1},
		{[]string{"D1:3"}, 1, 0},
		{[]string{"D1:3"}, 3, 1},
		{[]string{"D1:1", "D3:1"}, 3, 0.5},
		{[]string{"D1:1", "D3:1"}, 4, 1},
		{[]string{"D1:1", "D3:1", "D9:9"}, 25, 2.0 / 3},
		{[]string{"D1:1", "D1:1"}, 1, 1}, // repeats count once
		{nil, 5, 0},
	} {
		if got := RecallAtK(ranked, c.evidence, c.k); !near(got, c.want) {
			t.Errorf("RecallAtK(%v, k=%d) = %v, want %v", c.evidence, c.k, got, c.want)
		}
	}
	if got := RecallAtK(nil, []string{"D1:1"}, 10); got != 0 {
		t.Errorf("RecallAtK with nothing retrieved = %v", got)
	}
}

func TestHitAtK(t *testing.T) {
	ranked := []string{"D1:1", "D2:5", "D1:3"}
	if HitAtK(ranked, []string{"D1:3", "D9:9"}, 2) != 0 || HitAtK(ranked, []string{"D1:3", "D9:9"}, 3) != 1 {
		t.Error("HitAtK: wrong cut-off")
	}
	if HitAtK(ranked, []string{"D1:1"}, 25) != 1 {
		t.Error("HitAtK: k beyond the list")
	}
}

func TestSessionRecallAtK(t *testing.T) {
	ranked := []string{"D4:1", "D2:9", "D7:3"}
	for _, c := range []struct {
		evidence []string
		k        int
		want     float64
	}{
		{[]string{"D2:1"}, 1, 0},
		{[]string{"D2:1"}, 2, 1}, // another turn of the same session covers it
		{[]string{"D2:1", "D2:2"}, 2, 1},
		{[]string{"D2:1", "D3:2"}, 3, 0.5},
		{[]string{"D4:9", "D7:1", "D2:2"}, 3, 1},
		{[]string{"bad"}, 3, 0},
	} {
		if got := SessionRecallAtK(ranked, c.evidence, c.k); !near(got, c.want) {
			t.Errorf("SessionRecallAtK(%v, k=%d) = %v, want %v", c.evidence, c.k, got, c.want)
		}
	}
}

func TestSessionOf(t *testing.T) {
	for in, want := range map[string]int{"D1:3": 1, "D12:40": 12} {
		if got, ok := SessionOf(in); !ok || got != want {
			t.Errorf("SessionOf(%q) = %d, %v", in, got, ok)
		}
	}
	for _, in := range []string{"D", "D:11:26", "12:3", "D1:3 "} {
		if _, ok := SessionOf(in); ok {
			t.Errorf("SessionOf(%q) ok", in)
		}
	}
}

func TestReciprocalRank(t *testing.T) {
	ranked := []string{"a", "b", "c", "b"}
	for target, want := range map[string]float64{"a": 1, "b": 0.5, "c": 1.0 / 3, "z": 0} {
		if got := ReciprocalRank(ranked, target); !near(got, want) {
			t.Errorf("ReciprocalRank(%q) = %v, want %v", target, got, want)
		}
	}
}

func TestNamedSpeaker(t *testing.T) {
	for _, c := range []struct {
		q      string
		want   string
		wantOK bool
	}{
		{"What did Caroline realize after her charity race?", "Caroline", true},
		{"What is Melanie's favourite book?", "Melanie", true},
		{"what did melanie paint?", "Melanie", true},
		{"What did Caroline and Melanie do together?", "", false},
		{"What is the name of the dog?", "", false},
		{"What did Carolinex say?", "", false}, // whole words only
	} {
		got, ok := NamedSpeaker(c.q, "Caroline", "Melanie")
		if got != c.want || ok != c.wantOK {
			t.Errorf("NamedSpeaker(%q) = %q, %v; want %q, %v", c.q, got, ok, c.want, c.wantOK)
		}
	}
	// A name that is a word of the other ("Jon" and "John") is matched as a whole word.
	if got, ok := NamedSpeaker("Where did John go?", "Jon", "John"); !ok || got != "John" {
		t.Errorf("Jon/John: %q, %v", got, ok)
	}
}

func TestWrongSpeaker(t *testing.T) {
	if !WrongSpeaker("Caroline", "Melanie") || WrongSpeaker("Caroline", "Caroline") || WrongSpeaker("Caroline", "") {
		t.Error("WrongSpeaker")
	}
}

func TestMeansAndGroup(t *testing.T) {
	m := newMeans()
	m.add(map[string]float64{"R@1": 1, "x": 0.5})
	m.add(map[string]float64{"R@1": 0})
	g := m.group("g")
	if g.N != 2 || g.Metrics["R@1"] != 0.5 || g.Metrics["x"] != 0.5 {
		t.Errorf("group = %+v", g)
	}
}

func TestPercentile(t *testing.T) {
	xs := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	for p, want := range map[float64]float64{50: 5, 95: 10, 99: 10, 10: 1} {
		if got := percentile(xs, p); got != want {
			t.Errorf("percentile(%v) = %v, want %v", p, got, want)
		}
	}
	if percentile(nil, 50) != 0 {
		t.Error("percentile of nothing")
	}
}
