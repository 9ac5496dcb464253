package textproc

import (
	"reflect"
	"slices"
	"testing"
)

func TestStemAgreesAcrossInflections(t *testing.T) {
	// The hand-written stemmers this package replaces mapped uses→us, speed→spe, dies→di,
	// running→runn and news→new.
	for _, group := range [][]string{
		{"uses", "used", "using", "use"},
		{"speeds", "speed"},
		{"runs", "running", "run"},
		{"lives", "lived", "living", "live"},
		{"works", "worked", "working", "work"},
	} {
		want := Stem(group[0])
		for _, w := range group[1:] {
			if got := Stem(w); got != want {
				t.Errorf("Stem(%q) = %q, Stem(%q) = %q: want one stem", w, got, group[0], want)
			}
		}
	}
	if Stem("news") == Stem("new") {
		t.Errorf("news and new share the stem %q", Stem("new"))
	}
	if got := Stem("v18.15.0"); got != "v18.15.0" {
		t.Errorf("a version is kept as written, got %q", got)
	}
}

func TestWordsKeepsNumbersWhole(t *testing.T) {
	got := Words("It costs 4.50, Node.js v18.15.0 on port 3000; Alice's 1,000 users (red,green).")
	want := []string{"It", "costs", "4.50", "Node.js", "v18.15.0", "on", "port", "3000", "Alice", "1,000", "users", "red", "green"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Words = %q, want %q", got, want)
	}
}

func TestSentences(t *testing.T) {
	got := Sentences("The lunch costs 4.50 today. I use v2.6.0, e.g. on Linux!\nNext line? Yes")
	want := []string{"The lunch costs 4.50 today.", "I use v2.6.0, e.g. on Linux!", "Next line?", "Yes"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Sentences = %q, want %q", got, want)
	}
}

func TestTermsAndNegation(t *testing.T) {
	got := Terms("I've never synchronized my server time with an NTP service")
	want := []string{"never", "synchron", "server", "time", "ntp", "servic"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Terms = %q, want %q", got, want)
	}
	for _, w := range []string{"never", "not", "didn't", "don’t", "no"} {
		if !IsNegation(w) {
			t.Errorf("IsNegation(%q) = false", w)
		}
	}
	if IsNegation("note") {
		t.Error("IsNegation(note) = true")
	}
}

func TestIdentifiers(t *testing.T) {
	got := Identifiers("Remember the password tulip2 for build v18.15.0 on host ci-7 (INV-1002), not Tulip2 again; " +
		"my 18th birthday, the 2nd run, a 5K race at 10am in the 1990s, a 3-bedroom flat, 2024-05-01T10:00, 2026, order 1002, " +
		"the ThinkPad X1, gpt-4o and GPT4o.")
	want := []string{"tulip2", "v18150", "ci7", "inv1002", "x1", "gpt4o"}
	if !slices.Equal(got, want) {
		t.Fatalf("Identifiers = %q, want %q", got, want)
	}
	if got := Identifiers("What is Alice's favourite tea?"); len(got) != 0 {
		t.Fatalf("Identifiers of a question without codes = %q", got)
	}
}

func TestCompound(t *testing.T) {
	for _, tc := range []struct{ w, next, want string }{
		{"backed", "up", "backup"},
		{"Backup", "of", ""},
		{"set", "up", "setup"},
		{"logged", "in", ""}, // "in" is a preposition far more often: "lives in"
		{"rolled", "out", "rollout"},
		{"shut", "down", "shutdown"},
		{"is", "up", ""}, // a stop word
		{"v2", "up", ""},
	} {
		if got := Compound(tc.w, tc.next); got != tc.want {
			t.Errorf("Compound(%q, %q) = %q, want %q", tc.w, tc.next, got, tc.want)
		}
	}
	if Compound("backed", "up") != Stem("backup") {
		t.Fatal("the compound must stem as the noun does")
	}
}
