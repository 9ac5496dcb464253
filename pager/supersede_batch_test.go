package pager

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/memsvc/memsvc/archival"
	"github.com/memsvc/memsvc/state"
	"github.com/memsvc/memsvc/validity"
)

// candidatesBySearch is how supersessionCandidates found one passage's candidates before it was
// batched: a full archival Search of the passage's vector, then the filters on each hit.
func (s *Service) candidatesBySearch(ctx context.Context, p archival.Passage) ([]supersessionCandidate, error) {
	subject := validity.SubjectOf(p.Key, p.Text)
	if p.Key != "" || s.cfg.Scoring.SupersedeCosine <= 0 || !validity.MayCompareWhole(p.Text) {
		return nil, nil
	}
	hits, err := s.cfg.Archival.Search(ctx, archival.Query{AgentID: p.AgentID, Vector: p.Vector, K: 20})
	if err != nil {
		return nil, err
	}
	var out []supersessionCandidate
	for _, h := range hits {
		o := h.Passage
		conf := s.cfg.Scoring.SupersessionConfidence(h.Dense)
		if conf == 0 || o.Key != "" || validity.SubjectOf("", o.Text) != subject || sameText(o.Text, p.Text) || !validity.MayCompareWhole(o.Text) {
			continue
		}
		out = append(out, supersessionCandidate{id: o.ID, conf: conf, cause: fmt.Sprintf("same subject (%s), cosine %.2f", subject, h.Dense)})
	}
	return out, nil
}

// factTexts returns n statements about a few people, in varied phrasings, with repeats: many
// pairs share a subject and a high cosine.
func factTexts(rng *rand.Rand, n int) []string {
	names := []string{"Alice", "Bob", "Carmen", "Dmitri", "Erin", "Farah", "Gus", "Hana"}
	templates := []string{
		"%s lives in %s.", "%s moved to %s last spring.", "%s works in %s now.",
		"%s's favourite city is %s.", "%s is visiting %s.", "We met %s in %s.",
		"%s said the weather in %s was lovely, and then we talked about trains for an hour.",
	}
	places := []string{"Paris", "Lisbon", "Oslo", "Kyoto", "Denver", "Lagos", "Lima", "Perth", "Quito", "Riga",
		"Seoul", "Dublin", "Nairobi", "Hanoi", "Boston", "Madrid", "Vienna", "Cairo", "Austin", "Milan"}
	extras := []string{"", " with her sister", " with two cats", " near the river", " for work", " since March",
		" with a friend", " near the old harbour", " for the summer", " with his family", " near the station", " after the wedding"}
	out := make([]string, n)
	for i := range out {
		s := fmt.Sprintf(templates[rng.IntN(len(templates))], names[rng.IntN(len(names))], places[rng.IntN(len(places))])
		if extra := extras[rng.IntN(len(extras))]; extra != "" && s[len(s)-1] == '.' {
			s = s[:len(s)-1] + extra + "."
		}
		out[i] = s
	}
	return out
}

// TestSupersessionCandidatesBatchMatchesSearch: the batched candidate search finds, for every
// passage of a batch, exactly the candidates that one archival Search per passage found, in the
// same order with the same confidence and cause, over an agent holding keyed, invalidated and
// repeated passages.
func TestSupersessionCandidatesBatchMatchesSearch(t *testing.T) {
	svc, _, _ := newTestService(t)
	ctx := state.WithTenant(context.Background(), state.DefaultTenant)
	a := createAgent(t, svc, 4000)
	rng := rand.New(rand.NewPCG(11, 13))
	var stored []archival.Passage
	for round := range 4 {
		ins := make([]PassageInput, 500)
		for i, text := range factTexts(rng, len(ins)) {
			ins[i] = PassageInput{Text: text}
			if i%13 == 0 {
				ins[i].Key = fmt.Sprintf("k%d", i%5)
			}
		}
		out, err := svc.InsertPassages(ctx, a.ID, ins)
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		stored = append(stored, out...)
	}
	for i := 0; i < len(stored); i += 17 {
		if _, err := svc.Invalidate(ctx, a.ID, stored[i].ID, "test", ""); err != nil {
			t.Fatal(err)
		}
	}
	emb := svc.cfg.Embedder
	texts := factTexts(rng, 400)
	texts = append(texts, stored[3].Text, stored[5].Text, "Alice?", "I live in Paris.")
	vecs, err := emb.Embed(ctx, texts)
	if err != nil {
		t.Fatal(err)
	}
	ps := make([]archival.Passage, len(texts))
	ask := make([]bool, len(texts))
	for i, text := range texts {
		ps[i] = archival.Passage{ID: newPassageID(), AgentID: a.ID, Text: text, Vector: vecs[i]}
		ask[i] = i%29 != 0
		if i%31 == 0 {
			ps[i].Key = "k1"
		}
	}
	got, err := svc.supersessionCandidates(ctx, a.ID, ps, ask)
	if err != nil {
		t.Fatal(err)
	}
	found := 0
	for i, p := range ps {
		var want []supersessionCandidate
		if ask[i] {
			if want, err = svc.candidatesBySearch(ctx, p); err != nil {
				t.Fatal(err)
			}
		}
		if !reflect.DeepEqual(got[i], want) {
			t.Errorf("passage %d (%q): got %+v, want %+v", i, p.Text, got[i], want)
		}
		found += len(want)
	}
	t.Logf("%d candidates for %d passages", found, len(ps))
	if found < 100 {
		t.Errorf("only %d candidates in all: the test does not exercise the filters", found)
	}
}
