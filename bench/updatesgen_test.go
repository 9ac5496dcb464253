package bench

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestGenerateUpdates(t *testing.T) {
	cfg := UpdatesGenConfig{Seed: 3, Chains: 60, PerAgent: 12, Filler: 200}
	d := GenerateUpdates(cfg)
	if len(d.Chains) != 60 || len(d.Agents) != 5 {
		t.Fatalf("%d chains in %d agents, want 60 in 5", len(d.Chains), len(d.Agents))
	}
	if !reflect.DeepEqual(d, GenerateUpdates(cfg)) {
		t.Fatal("the same seed must give the same data")
	}
	cfg.setDefaults()
	seen := map[string]bool{}
	for i, c := range d.Chains {
		pair := c.Component + "/" + c.Attribute
		if seen[pair] {
			t.Errorf("chain %d: %s twice", i, pair)
		}
		seen[pair] = true
		if n := len(c.Texts); n < 2 || n > 4 || len(c.Values) != n || len(c.ValidFrom) != n {
			t.Fatalf("chain %d: %d texts, %d values, %d times; want 2 to 4 of each", i, n, len(c.Values), len(c.ValidFrom))
		}
		for v := range c.Texts {
			if !strings.Contains(c.Texts[v], c.Values[v]) {
				t.Errorf("chain %d: %q does not state its value %q", i, c.Texts[v], c.Values[v])
			}
			if strings.Contains(c.Question, c.Values[v]) {
				t.Errorf("chain %d: the question %q gives away a value", i, c.Question)
			}
			if v > 0 {
				if c.Values[v] == c.Values[v-1] {
					t.Errorf("chain %d: value %q repeated", i, c.Values[v])
				}
				if gap := c.ValidFrom[v].Sub(c.ValidFrom[v-1]); gap < 29*24*time.Hour || gap > 31*24*time.Hour {
					t.Errorf("chain %d: %v between values, want about 30 days", i, gap)
				}
			}
			if !c.ValidFrom[v].Before(cfg.Now()) {
				t.Errorf("chain %d: a value after the questions are asked", i)
			}
		}
	}
	for ai, a := range d.Agents {
		if len(a.Filler) != 200 {
			t.Errorf("agent %d: %d unrelated memories, want 200", ai, len(a.Filler))
		}
		for _, f := range a.Filler {
			for _, ci := range a.Chains {
				c := d.Chains[ci]
				for _, text := range c.Texts {
					if f.Text == text {
						t.Errorf("agent %d: filler %q repeats a chain's statement", ai, f.Text)
					}
				}
			}
		}
	}
}
