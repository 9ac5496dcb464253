// Package archivaltest is the conformance suite every archival.Store backend runs: one set of
// subtests, asserting the behavior the archival contract promises, so that memarchival,
// pgarchival and qdrantarchival behave alike. A backend's test calls
//
//	archivaltest.Run(t, func(t *testing.T) archival.Store { ... })
//
// where the function returns a fresh, empty store isolated to t (a temp-dir database, a schema or
// a collection per test) and registers its cleanup with t.Cleanup. The store's dimension is taken
// from Dim and must be at least MinDim: the suite builds deterministic vectors from a few axes
// rather than calling an embedder.
package archivaltest

import (
	"context"
	"errors"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/memsvc/memsvc/archival"
	"github.com/memsvc/memsvc/rank"
)

// MinDim is the least vector dimension the suite needs.
const MinDim = 8

// Skip names a subtest that does not apply to a store, and why: a limit of the backend that its
// package documents.
type Skip struct {
	Test, Why string
}

// Run runs the conformance suite, each subtest on its own store from newStore; the subtests
// named in skip are skipped with their reason.
func Run(t *testing.T, newStore func(t *testing.T) archival.Store, skip ...Skip) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s archival.Store)
	}{
		{"IdempotentUpsert", testIdempotentUpsert},
		{"GetDelete", testGetDelete},
		{"NotFound", testNotFound},
		{"CountDeleteAgent", testCountDeleteAgent},
		{"ValidityFields", testValidityFields},
		{"Defaults", testDefaults},
		{"DimensionMismatch", testDimensionMismatch},
		{"Invalid", testInvalid},
		{"FailedBatchStoresNothing", testFailedBatch},
		{"Cancellation", testCancellation},
		{"FilterTags", testFilterTags},
		{"FilterStatus", testFilterStatus},
		{"FilterAsOf", testFilterAsOf},
		{"TopKDense", testTopKDense},
		{"TopKLexical", testTopKLexical},
		{"TopKHybrid", testTopKHybrid},
		{"AgentIsolation", testAgentIsolation},
		{"LexicalStatsPerAgent", testLexicalStatsPerAgent},
		{"HostileText", testHostileText},
		{"KeyChain", testKeyChain},
		{"KeyAuthority", testKeyAuthority},
		{"History", testHistory},
		{"Update", testUpdate},
		{"ConcurrentUpdates", testConcurrentUpdates},
		{"DeleteResolvesKey", testDeleteResolvesKey},
		{"ConcurrentKeyChains", testConcurrentKeyChains},
		{"List", testList},
		{"Neighbors", testNeighbors},
		{"GetMany", testGetMany},
		{"KeyTexts", testKeyTexts},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, sk := range skip {
				if sk.Test == tt.name {
					t.Skip(sk.Why)
				}
			}
			s := newStore(t)
			if s.Dim() < MinDim {
				t.Fatalf("store dimension %d, the suite needs at least %d", s.Dim(), MinDim)
			}
			tt.fn(t, s)
		})
	}
}

// vec returns a vector of the store's dimension with its first components set to comps.
func vec(s archival.Store, comps ...float32) []float32 {
	v := make([]float32, s.Dim())
	copy(v, comps)
	return v
}

// axis returns the unit vector along axis i.
func axis(s archival.Store, i int) []float32 {
	v := make([]float32, s.Dim())
	v[i] = 1
	return v
}

// passage returns a valid passage of agent with the given id, text and vector.
func passage(agent, id, text string, v []float32) archival.Passage {
	return archival.Passage{ID: id, AgentID: agent, Text: text, Vector: v}
}

func upsert(t *testing.T, s archival.Store, ps ...archival.Passage) {
	t.Helper()
	if err := s.Upsert(context.Background(), ps); err != nil {
		t.Fatalf("Upsert: %v", err)
	}
}

func search(t *testing.T, s archival.Store, q archival.Query) []archival.Hit {
	t.Helper()
	hits, err := s.Search(context.Background(), q)
	if err != nil {
		t.Fatalf("Search(%+v): %v", q, err)
	}
	if len(hits) > q.K {
		t.Fatalf("Search(k=%d) returned %d hits", q.K, len(hits))
	}
	checkHits(t, q, hits)
	return hits
}

// checkHits asserts what holds for every search: the agent, fusion by package rank, order by
// relevance, 1-based ranks and scores that match them.
func checkHits(t *testing.T, q archival.Query, hits []archival.Hit) {
	t.Helper()
	for i, h := range hits {
		if h.Passage.AgentID != q.AgentID {
			t.Errorf("hit %s belongs to agent %q, searched %q", h.Passage.ID, h.Passage.AgentID, q.AgentID)
		}
		if want := rank.Default.Score(h.DenseRank, h.LexicalRank); math.Abs(h.Relevance-want) > 1e-9 {
			t.Errorf("hit %s: relevance %v, rank.Default.Score(%d, %d) = %v",
				h.Passage.ID, h.Relevance, h.DenseRank, h.LexicalRank, want)
		}
		if h.DenseRank == 0 && h.LexicalRank == 0 {
			t.Errorf("hit %s is in neither list", h.Passage.ID)
		}
		if h.DenseRank < 0 || h.LexicalRank < 0 || h.Dense < -1-1e-6 || h.Dense > 1+1e-6 {
			t.Errorf("hit %s: bad evidence %+v", h.Passage.ID, h)
		}
		if len(q.Vector) == 0 && h.DenseRank != 0 {
			t.Errorf("hit %s: dense rank %d without a query vector", h.Passage.ID, h.DenseRank)
		}
		if h.LexicalRank == 0 && h.Lexical != 0 {
			t.Errorf("hit %s: lexical score %v without a lexical rank", h.Passage.ID, h.Lexical)
		}
		if i > 0 && h.Relevance > hits[i-1].Relevance {
			t.Errorf("hits out of order: %s (%v) after %s (%v)",
				h.Passage.ID, h.Relevance, hits[i-1].Passage.ID, hits[i-1].Relevance)
		}
	}
}

// hitIDs returns the passage ids of hits, in order.
func hitIDs(hits []archival.Hit) []string {
	ids := make([]string, len(hits))
	for i, h := range hits {
		ids[i] = h.Passage.ID
	}
	return ids
}

// wantIDs fails unless hits are exactly ids, in order.
func wantIDs(t *testing.T, hits []archival.Hit, ids ...string) {
	t.Helper()
	got := hitIDs(hits)
	if fmt.Sprint(got) != fmt.Sprint(ids) {
		t.Fatalf("hits = %v, want %v", got, ids)
	}
}

// wantErr fails unless err wraps target.
func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: error %v, want one wrapping %v", what, err, target)
	}
}

func wantCount(t *testing.T, s archival.Store, agent string, want int) {
	t.Helper()
	n, err := s.Count(context.Background(), agent)
	if err != nil {
		t.Fatalf("Count(%s): %v", agent, err)
	}
	if n != want {
		t.Fatalf("Count(%s) = %d, want %d", agent, n, want)
	}
}

// at returns a fixed instant plus d, so validity tests do not depend on the clock.
func at(d time.Duration) time.Time {
	return time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC).Add(d)
}
