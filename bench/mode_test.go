package bench

import (
	"reflect"
	"testing"

	"github.com/memsvc/memsvc/pager"
)

func TestModeOptions(t *testing.T) {
	fp := func(p *float64) any {
		if p == nil {
			return nil
		}
		return *p
	}
	for _, c := range []struct {
		m         Mode
		mode      string
		zero      bool // recency, validity, subject and predicate weights 0
		inclusive bool
	}{
		{ModeBM25, pager.ModeLexical, true, true},
		{ModeRelevance, pager.ModeDense, true, true},
		{ModeHybrid, pager.ModeHybrid, true, true},
		{ModeFull, pager.ModeHybrid, false, false},
	} {
		q := c.m.Query("where does Alice live?", 25)
		if q.Mode != c.mode || q.IncludeInvalid != c.inclusive || q.Query != "where does Alice live?" || q.K != 25 || q.AsOf != nil {
			t.Errorf("%s: %+v", c.m, q)
		}
		if !c.zero {
			if q.Weights != nil {
				t.Errorf("%s: weights %+v, want the defaults (nil)", c.m, q.Weights)
			}
			continue
		}
		w := q.Weights
		if w == nil || w.Relevance != nil || fp(w.Recency) != 0.0 || fp(w.Validity) != 0.0 || fp(w.Subject) != 0.0 || fp(w.Predicate) != 0.0 {
			t.Errorf("%s: weights %+v", c.m, w)
		}
	}
}

func TestAblationOptions(t *testing.T) {
	for m, term := range map[Mode]string{ModeHybridRecency: "recency", ModeHybridSubject: "subject", ModeHybridValidity: "validity",
		ModeHybridPredicate: "predicate"} {
		q := m.Options()
		w := q.Weights
		if q.Mode != pager.ModeHybrid || w == nil || w.Relevance != nil || q.IncludeInvalid != (term != "validity") {
			t.Errorf("%s: %+v", m, q)
			continue
		}
		for name, p := range map[string]*float64{"recency": w.Recency, "subject": w.Subject, "validity": w.Validity, "predicate": w.Predicate} {
			if (name == term) != (p == nil) || p != nil && *p != 0 {
				t.Errorf("%s: weight %s = %v", m, name, p)
			}
		}
	}
}

func TestParseModes(t *testing.T) {
	for in, want := range map[string][]Mode{
		"":                 AllModes,
		"all":              AllModes,
		"full,bm25":        {ModeBM25, ModeFull},
		" BM25 , bm25 ":    {ModeBM25},
		"hybrid,relevance": {ModeRelevance, ModeHybrid},
		"all,ablations":    {ModeBM25, ModeRelevance, ModeHybrid, ModeFull, ModeHybridRecency, ModeHybridSubject, ModeHybridValidity, ModeHybridPredicate},
		"hybrid+subject":   {ModeHybridSubject},
	} {
		got, err := ParseModes(in)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("ParseModes(%q) = %v, %v", in, got, err)
		}
	}
	if _, err := ParseModes("bm25,cosine"); err == nil {
		t.Error("ParseModes accepted an unknown mode")
	}
}
