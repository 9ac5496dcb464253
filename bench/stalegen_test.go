package bench

import (
	"math/rand/v2"
	"reflect"
	"sort"
	"strings"
	"testing"
)

func TestGenerateStaleShape(t *testing.T) {
	cfg := StaleGenConfig{Seed: 7, Subjects: 25, PerAgent: 10, Updates: 4}
	streams := GenerateStale(cfg)
	if len(streams) != 3 {
		t.Fatalf("%d streams, want 3 (10+10+5 subjects)", len(streams))
	}
	if !reflect.DeepEqual(streams, GenerateStale(cfg)) {
		t.Fatal("the same seed gave different streams")
	}
	if reflect.DeepEqual(streams, GenerateStale(StaleGenConfig{Seed: 8, Subjects: 25, PerAgent: 10, Updates: 4})) {
		t.Fatal("another seed gave the same streams")
	}
	cfg.setDefaults()
	for si, s := range streams {
		if !sort.SliceIsSorted(s.Facts, func(i, j int) bool { return s.Facts[i].ValidFrom.Before(s.Facts[j].ValidFrom) }) {
			t.Errorf("stream %d is not in event-time order", si)
		}
		subjects := map[string]bool{}
		for _, sl := range s.Slots {
			subjects[sl.Subject] = true
			if n := len(sl.Facts); n < 2 || n > 4 || len(sl.Values) != n {
				t.Errorf("%s: %d values", sl.Key, n)
			}
			seen := map[string]bool{}
			for v, fi := range sl.Facts {
				f := s.Facts[fi]
				if f.Kind != FactUpdate || f.Slot < 0 || s.Slots[f.Slot].Key != sl.Key || f.Version != v {
					t.Errorf("%s: fact %d is %+v", sl.Key, fi, f)
				}
				if !strings.Contains(f.Text, sl.Subject) || !strings.Contains(f.Text, sl.Values[v]) {
					t.Errorf("%s: %q does not state %s = %s", sl.Key, f.Text, sl.Subject, sl.Values[v])
				}
				if v > 0 && !s.Facts[sl.Facts[v-1]].ValidFrom.Before(f.ValidFrom) && !s.Facts[sl.Facts[v-1]].ValidFrom.Equal(f.ValidFrom) {
					t.Errorf("%s: values out of time order", sl.Key)
				}
				if f.ValidFrom.Before(cfg.Start) || !f.ValidFrom.Before(cfg.Now()) {
					t.Errorf("%s: %v outside the span", sl.Key, f.ValidFrom)
				}
				if seen[sl.Values[v]] {
					t.Errorf("%s: value %s repeats", sl.Key, sl.Values[v])
				}
				seen[sl.Values[v]] = true
			}
			if sl.Current() != sl.Facts[len(sl.Facts)-1] || !strings.Contains(sl.Question, sl.Subject) || !strings.HasSuffix(sl.Question, "?") {
				t.Errorf("%s: current %d, question %q", sl.Key, sl.Current(), sl.Question)
			}
		}
		if si < 2 && len(subjects) != 10 {
			t.Errorf("stream %d has %d subjects, want 10 distinct", si, len(subjects))
		}
		var decoys, noise int
		for _, f := range s.Facts {
			switch f.Kind {
			case FactDecoy:
				decoys++
			case FactNoise:
				noise++
			}
		}
		if decoys != len(subjects)*3 || noise != len(subjects)*4 {
			t.Errorf("stream %d: %d decoys, %d noise", si, decoys, noise)
		}
	}
}

func TestArrival(t *testing.T) {
	s := GenerateStale(StaleGenConfig{Seed: 1, Subjects: 5, PerAgent: 5})[0]
	in := s.Arrival(false, nil)
	for i, f := range in {
		if i != f {
			t.Fatal("in-order arrival is not the event order")
		}
	}
	sh := s.Arrival(true, rand.New(rand.NewPCG(1, 2)))
	if reflect.DeepEqual(sh, in) {
		t.Fatal("shuffled arrival is in order")
	}
	sort.Ints(sh)
	if !reflect.DeepEqual(sh, in) {
		t.Fatal("shuffled arrival is not a permutation")
	}
}

func TestGenerateMultiHop(t *testing.T) {
	for _, s := range GenerateMultiHop(StaleGenConfig{Seed: 3, Subjects: 12, PerAgent: 12}) {
		if len(s.Chains) != 12 {
			t.Fatalf("%d chains", len(s.Chains))
		}
		for _, c := range s.Chains {
			emp, hq := s.Slots[c.Hop1], s.Slots[c.Hop2]
			if emp.Subject != c.Person || emp.Attribute != "employer" || hq.Attribute != "hq" {
				t.Errorf("chain %+v: hop1 %s, hop2 %s", c, emp.Key, hq.Key)
			}
			if hq.Subject != emp.Values[len(emp.Values)-1] {
				t.Errorf("%s: hop 2 asks about %s, but the current employer is %s", c.Person, hq.Subject, emp.Values[len(emp.Values)-1])
			}
			if !strings.Contains(c.Question, c.Person) {
				t.Errorf("chained question %q", c.Question)
			}
		}
	}
}

func TestFill(t *testing.T) {
	if got := fill("{S}'s phone is a {V} now.", "Alice", "Pixel 8"); got != "Alice's phone is a Pixel 8 now." {
		t.Error(got)
	}
	if got := fill("lately {S} plays {V}.", "Bob", "golf"); got != "Lately Bob plays golf." {
		t.Error(got)
	}
	if slug("Northwind Logistics") != "northwind-logistics" {
		t.Error(slug("Northwind Logistics"))
	}
}

// TestQuestionsInOtherWords: every attribute of the stale generator is asked both by its word
// and in other words, so that the suite's split by phrasing has both sides for each.
func TestQuestionsInOtherWords(t *testing.T) {
	for _, a := range staleAttributes {
		names, other := 0, 0
		for _, q := range a.questions {
			if namesAttribute(q, a.name) {
				names++
			} else {
				other++
			}
		}
		if other == 0 {
			t.Errorf("attribute %s: every question names it (%q)", a.name, a.questions)
		}
		t.Logf("%s: %d questions name it, %d in other words", a.name, names, other)
	}
	if !namesAttribute("Which city does Kate live in?", "city") || namesAttribute("Where does Kate live?", "city") || namesAttribute("Is Kate a citydweller?", "city") {
		t.Fatal("namesAttribute")
	}
}
