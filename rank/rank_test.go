package rank

import "testing"

func TestScore(t *testing.T) {
	f := Default
	tests := []struct {
		name       string
		dense, lex int
		want       float64
		tolerance  float64
	}{
		{"first in both", 1, 1, 1, 1e-12},
		{"absent from both", 0, 0, 0, 0},
		{"first dense only", 1, 0, 1 / 2.5, 1e-12},
		{"first lexical only", 0, 1, 1.5 / 2.5, 1e-12},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := f.Score(tt.dense, tt.lex)
			if d := got - tt.want; d > tt.tolerance || d < -tt.tolerance {
				t.Fatalf("Score(%d,%d) = %v, want %v", tt.dense, tt.lex, got, tt.want)
			}
		})
	}
}

func TestScoreOrdering(t *testing.T) {
	f := Default
	if !(f.Score(1, 1) > f.Score(1, 2)) {
		t.Fatal("a better lexical rank must score higher")
	}
	if !(f.Score(2, 2) > f.Score(1, 0)) {
		t.Fatal("agreement of both lists must beat one list alone")
	}
	if !(f.Score(3, 0) > f.Score(4, 0)) {
		t.Fatal("scores must fall with rank")
	}
	if got := (Fusion{K: 60}).Score(1, 1); got != 0 {
		t.Fatalf("zero weights must score 0, got %v", got)
	}
}

func TestRanksShareTies(t *testing.T) {
	got := Ranks([]float64{0.9, 0.9, 0.9 - 1e-9, 0.5, 0.5, 0.1})
	want := []int{1, 1, 1, 4, 4, 6}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("Ranks = %v, want %v", got, want)
		}
	}
	if len(Ranks(nil)) != 0 {
		t.Fatal("no scores, no ranks")
	}
}
