package bench

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/memsvc/memsvc/state"
)

// A conversation whose facts sit in a turn's second sentence, after chatter: the lead summarizer
// (first sentences) keeps none of them, the extractive one as many as its budget holds, and a
// search of the summaries finds them. The figures are fractions and the suite reports both summarizers.
func TestSummarySuite(t *testing.T) {
	people := []string{"Ravi", "Dana", "Jun", "Mara", "Olek", "Priya", "Tomas", "Wen"}
	conv := Conversation{ID: "conv-t", SpeakerA: "Ann", SpeakerB: "Ben"}
	day := time.Date(2023, 5, 1, 10, 0, 0, 0, time.UTC)
	for s := range 4 {
		sess := Session{N: s + 1, Date: day.AddDate(0, 0, 7*s)}
		for i := range 12 {
			n := s*12 + i
			who := people[n%len(people)]
			speaker := []string{"Ann", "Ben"}[n%2]
			text := "Haha, that is so true, I agree completely."
			if n%3 == 0 {
				text += fmt.Sprintf(" %s booked room %d at the Harbor Hotel for %d nights.", who, 100+n, 2+n%5)
			}
			sess.Turns = append(sess.Turns, Turn{DiaID: fmt.Sprintf("D%d:%d", s+1, i+1), Speaker: speaker, Text: text})
		}
		conv.Sessions = append(conv.Sessions, sess)
	}
	for n := 0; n < 48; n += 3 {
		s, i := n/12, n%12
		conv.QA = append(conv.QA, QA{Question: fmt.Sprintf("Which room did %s book at the Harbor Hotel, room %d?", people[n%len(people)], 100+n),
			Category: 4, Evidence: []string{fmt.Sprintf("D%d:%d", s+1, i+1)}})
	}
	c := testCommon(t)
	c.Modes = []Mode{ModeBM25}
	res, err := RunSummary(state.WithTenant(context.Background(), state.DefaultTenant),
		SummaryConfig{Common: c, Path: "generated", Data: []Conversation{conv}, Window: 256})
	if err != nil {
		t.Fatal(err)
	}
	var tbl strings.Builder
	if err := res.WriteTable(&tbl); err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + tbl.String())
	lead, ext := res.Summarizers["lead"], res.Summarizers["extractive"]
	if lead == nil || ext == nil || res.Questions != 16 {
		t.Fatalf("result %+v", res)
	}
	if lead.Folds == 0 || lead.Folds != ext.Folds {
		t.Fatalf("folds: lead %d, extractive %d", lead.Folds, ext.Folds)
	}
	if lead.EvidenceAny != 0 || lead.VerbatimAny != 0 {
		t.Errorf("lead keeps first sentences only, yet covers evidence: %+v", lead)
	}
	// Each fold's budget holds one of the facts its span evicts: a quarter at least.
	if ext.EvidenceAny < 0.25 || ext.VerbatimAny < 0.25 || ext.Evidence5[ModeBM25] < 0.25 || ext.Kept <= lead.Kept ||
		ext.Evidence1[ModeBM25] > ext.Evidence5[ModeBM25] || ext.Evidence5[ModeBM25] > ext.EvidenceAny {
		t.Errorf("extractive %+v, lead %+v", ext, lead)
	}
	for _, f := range []float64{ext.Kept, ext.EvidenceAny, ext.Evidence1[ModeBM25], lead.Kept} {
		if f < 0 || f > 1 {
			t.Errorf("a fraction out of range: %+v", ext)
		}
	}
	if ext.MeanTokens > float64(res.SummaryTokens) {
		t.Errorf("summaries of %.1f tokens on average, budget %d", ext.MeanTokens, res.SummaryTokens)
	}
}
