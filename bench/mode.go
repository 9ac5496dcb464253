package bench

import (
	"fmt"
	"strings"

	"github.com/memsvc/memsvc/pager"
)

// Mode is a retrieval configuration the suites compare. Each maps to archival search options
// (Options), in this one place:
//
//	mode       pager mode  weights (relevance, recency, validity, subject, predicate)  include_invalid
//	bm25       lexical     default, 0, 0, 0, 0                                         true
//	relevance  dense       default, 0, 0, 0, 0                                         true
//	hybrid     hybrid      default, 0, 0, 0, 0                                         true
//	full       hybrid      all default (nil)                                           false
//
// bm25, relevance and hybrid stand for a system without validity: every passage is a
// candidate and only relevance ranks. full is memsvc as a client gets it by default.
//
// Four ablations, run only when named, turn on one term of full at its default weight over
// hybrid, to tune the scorer: hybrid+recency, hybrid+subject and hybrid+predicate
// (include_invalid true, the other terms 0), and hybrid+validity (include_invalid false, the
// other terms 0).
type Mode string

// The modes.
const (
	ModeBM25      Mode = "bm25"
	ModeRelevance Mode = "relevance"
	ModeHybrid    Mode = "hybrid"
	ModeFull      Mode = "full"
)

// The ablations.
const (
	ModeHybridRecency   Mode = "hybrid+recency"
	ModeHybridSubject   Mode = "hybrid+subject"
	ModeHybridValidity  Mode = "hybrid+validity"
	ModeHybridPredicate Mode = "hybrid+predicate"
)

// AllModes lists the modes every suite runs by default, in the order tables and plots show them.
var AllModes = []Mode{ModeBM25, ModeRelevance, ModeHybrid, ModeFull}

// Ablations are the modes that run only when named.
var Ablations = []Mode{ModeHybridRecency, ModeHybridSubject, ModeHybridValidity, ModeHybridPredicate}

// Options returns the search options of m: a query with Mode, Weights and IncludeInvalid set
// and no text. See Query.
func (m Mode) Options() pager.ArchivalQuery {
	zero := func() *pager.Weights {
		z := 0.0
		return &pager.Weights{Recency: &z, Validity: &z, Subject: &z, Predicate: &z}
	}
	only := func(term string) *pager.Weights {
		w := zero()
		switch term {
		case "recency":
			w.Recency = nil
		case "subject":
			w.Subject = nil
		case "validity":
			w.Validity = nil
		case "predicate":
			w.Predicate = nil
		}
		return w
	}
	switch m {
	case ModeBM25:
		return pager.ArchivalQuery{Mode: pager.ModeLexical, Weights: zero(), IncludeInvalid: true}
	case ModeRelevance:
		return pager.ArchivalQuery{Mode: pager.ModeDense, Weights: zero(), IncludeInvalid: true}
	case ModeHybrid:
		return pager.ArchivalQuery{Mode: pager.ModeHybrid, Weights: zero(), IncludeInvalid: true}
	case ModeFull:
		return pager.ArchivalQuery{Mode: pager.ModeHybrid}
	case ModeHybridRecency:
		return pager.ArchivalQuery{Mode: pager.ModeHybrid, Weights: only("recency"), IncludeInvalid: true}
	case ModeHybridSubject:
		return pager.ArchivalQuery{Mode: pager.ModeHybrid, Weights: only("subject"), IncludeInvalid: true}
	case ModeHybridValidity:
		return pager.ArchivalQuery{Mode: pager.ModeHybrid, Weights: only("validity")}
	case ModeHybridPredicate:
		return pager.ArchivalQuery{Mode: pager.ModeHybrid, Weights: only("predicate"), IncludeInvalid: true}
	}
	// An unknown mode passes through, and the search refuses it as an invalid argument.
	return pager.ArchivalQuery{Mode: string(m)}
}

// Query returns the search for text in mode m, k hits, asked now (no as_of).
func (m Mode) Query(text string, k int) pager.ArchivalQuery {
	q := m.Options()
	q.Query, q.K = text, k
	return q
}

func (m Mode) valid() bool {
	for _, x := range append(AllModes[:len(AllModes):len(AllModes)], Ablations...) {
		if m == x {
			return true
		}
	}
	return false
}

// ParseModes reads a comma-separated list of modes ("" or "all" for AllModes, "ablations" for
// full's terms one by one, see Ablations), keeping the canonical order and dropping repeats.
func ParseModes(s string) ([]Mode, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "all" {
		return AllModes, nil
	}
	want := map[Mode]bool{}
	for _, f := range strings.Split(s, ",") {
		m := Mode(strings.ToLower(strings.TrimSpace(f)))
		switch {
		case m == "all":
			for _, x := range AllModes {
				want[x] = true
			}
		case m == "ablations":
			for _, x := range Ablations {
				want[x] = true
			}
		case !m.valid():
			return nil, fmt.Errorf("mode %q: want bm25, relevance, hybrid, full, all, or the ablations hybrid+recency, hybrid+subject, hybrid+validity, hybrid+predicate", f)
		default:
			want[m] = true
		}
	}
	var out []Mode
	for _, m := range append(AllModes[:len(AllModes):len(AllModes)], Ablations...) {
		if want[m] {
			out = append(out, m)
		}
	}
	return out, nil
}
