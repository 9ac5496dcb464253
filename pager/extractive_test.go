package pager

import (
	"context"
	"strings"
	"testing"

	"github.com/memsvc/memsvc/state"
)

func extractive(t *testing.T, in SummaryInput) string {
	t.Helper()
	svc, _, _ := newTestService(t)
	c, _ := svc.Tokenizers().Counter("")
	in.Count = c.Count
	out, err := Extractive{}.Summarize(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if n := c.Count(out); n > in.MaxTokens {
		t.Fatalf("summary has %d tokens, budget %d:\n%s", n, in.MaxTokens, out)
	}
	return out
}

func userMsgs(texts ...string) []state.Message {
	out := make([]state.Message, len(texts))
	for i, s := range texts {
		out[i] = state.Message{Role: "user", Content: s}
	}
	return out
}

// Sentences are whole units: a price's decimal point does not end one, and a later sentence of a
// message can be chosen without its first.
func TestExtractiveKeepsWholeSentences(t *testing.T) {
	out := extractive(t, SummaryInput{MaxTokens: 200, Messages: userMsgs(
		"Haha, yes. The ticket to Lisbon costs 4.50 euros on the 728 tram.",
		"Okay.")})
	if !strings.Contains(out, "The ticket to Lisbon costs 4.50 euros on the 728 tram.") {
		t.Fatalf("the fact sentence is cut:\n%s", out)
	}
	if strings.Contains(out, "Okay") {
		t.Fatalf("a sentence with no facts was kept:\n%s", out)
	}
}

// Under a tight budget the sentences with names and numbers win over chatter, and the output keeps
// the original order, one line per message.
func TestExtractivePrefersSalientSentences(t *testing.T) {
	msgs := userMsgs(
		"That sounds really wonderful and lovely, I totally agree with everything you said there.",
		"Melanie adopted a beagle called Oscar on 12 May 2023.",
		"Yesterday was quite a nice and relaxing day overall, honestly speaking.",
		"Caroline's support group meets every Tuesday at 7pm in Riverside Hall.",
	)
	out := extractive(t, SummaryInput{MaxTokens: 45, Messages: msgs})
	want := "user: Melanie adopted a beagle called Oscar on 12 May 2023.\nuser: Caroline's support group meets every Tuesday at 7pm in Riverside Hall."
	if out != want {
		t.Fatalf("summary\n%s\nwant\n%s", out, want)
	}
}

// Coverage: a sentence that repeats facts already chosen adds nothing and is left out.
func TestExtractiveSkipsRepeatedFacts(t *testing.T) {
	out := extractive(t, SummaryInput{MaxTokens: 200, Messages: userMsgs(
		"Alice moved to Berlin in March 2024.",
		"So Alice moved to Berlin, March 2024!")})
	if strings.Count(out, "Berlin") != 1 {
		t.Fatalf("the repeat was kept:\n%s", out)
	}
}

// The fold is recursive: the previous summary's sentences compete with the new span's, at a
// discount, so with room for one of two equally salient facts the new one wins, and with room for
// both the old one is carried on, first.
func TestExtractiveFoldsThePreviousSummary(t *testing.T) {
	prev := "user: Bob's flight to Oslo leaves at 10:30 on Friday."
	msgs := userMsgs("Dana's train to Porto leaves at 08:15 on Monday.")
	out := extractive(t, SummaryInput{Previous: prev, MaxTokens: 22, Messages: msgs})
	if !strings.Contains(out, "Porto") || strings.Contains(out, "Oslo") {
		t.Fatalf("tight budget: want the new fact only:\n%s", out)
	}
	out = extractive(t, SummaryInput{Previous: prev, MaxTokens: 100, Messages: msgs})
	if want := prev + "\nuser: Dana's train to Porto leaves at 08:15 on Monday."; out != want {
		t.Fatalf("summary\n%s\nwant\n%s", out, want)
	}
}

// Pinned messages stay verbatim whatever the budget, and the facts the retention check names
// (MustKeep) outweigh the others.
func TestExtractivePinnedAndMustKeep(t *testing.T) {
	msgs := userMsgs(
		"My locker code is 4812. Please remember it.",
		"Ravi's new address is 14 Elm Street, Leeds.",
		"Jun's cat is named Mochi and is 3 years old.",
	)
	msgs[0].Pinned = true
	out := extractive(t, SummaryInput{MaxTokens: 40, Messages: msgs, MustKeep: []string{"mochi"}})
	if !strings.HasPrefix(out, "[pinned] user: My locker code is 4812. Please remember it.") {
		t.Fatalf("the pinned message is not verbatim first:\n%s", out)
	}
	if !strings.Contains(out, "Mochi") || strings.Contains(out, "Leeds") {
		t.Fatalf("MustKeep did not decide:\n%s", out)
	}
	// The pinned line survives the next fold as a pinned line.
	again := extractive(t, SummaryInput{Previous: out, MaxTokens: 40, Messages: userMsgs("Fine.")})
	if !strings.Contains(again, "[pinned] user: My locker code is 4812. Please remember it.") {
		t.Fatalf("the pinned line was lost on the next fold:\n%s", again)
	}
}

// The pager's own memory-pressure warnings are never summarized.
func TestExtractiveSkipsPressureWarnings(t *testing.T) {
	msgs := []state.Message{{Role: "system", Name: "memsvc", Content: "Memory pressure: your context holds 1500 of 2048 tokens (73%)."},
		{Role: "assistant", Content: "Noted: the deadline is 30 June."}}
	if out := extractive(t, SummaryInput{MaxTokens: 100, Messages: msgs}); out != "assistant: Noted: the deadline is 30 June." {
		t.Fatalf("summary %q", out)
	}
}

// A transcript's speaker ("Caroline: …") is written once per line and does not make the chatter
// that opens a turn look salient: the fact sentence wins the budget.
func TestExtractiveSpeakerPrefix(t *testing.T) {
	msgs := userMsgs("Caroline: Haha, that is so true, I agree completely. Melanie's pottery class starts on 14 June at 6pm.")
	out := extractive(t, SummaryInput{MaxTokens: 24, Messages: msgs})
	if out != "user: Caroline: Melanie's pottery class starts on 14 June at 6pm." {
		t.Fatalf("summary %q", out)
	}
	// The next fold reads the line back with its speaker.
	again := extractive(t, SummaryInput{Previous: out, MaxTokens: 100, Messages: userMsgs("Ok.")})
	if again != out {
		t.Fatalf("refolded %q", again)
	}
}
