package ollama

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestCheckerRequestAndVerdict(t *testing.T) {
	f := newFake(t)
	c, err := NewChecker(f.config())
	if err != nil {
		t.Fatal(err)
	}
	f.setReply(`{"contradicts": true, "confidence": 1.7, "reason": "she moved"}`)
	v, usage, err := c.Check(context.Background(), "alice.city", "Alice lives in Paris.", "Alice moved to Rome.")
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	if v != (Verdict{Contradicts: true, Confidence: 1, Reason: "she moved"}) || usage.TokensIn != 42 {
		t.Errorf("verdict %+v usage %+v", v, usage)
	}
	req := f.chatCalls()[0]
	var schema struct {
		Properties map[string]any `json:"properties"`
		Required   []string       `json:"required"`
	}
	if err := json.Unmarshal(req.Format, &schema); err != nil || len(schema.Required) != 3 || schema.Properties["confidence"] == nil {
		t.Errorf("format %s: %v", req.Format, err)
	}
	prompt := req.Messages[0].Content
	for _, s := range []string{`"alice.city"`, "<older>\nAlice lives in Paris.\n</older>", "<newer>\nAlice moved to Rome.\n</newer>"} {
		if !strings.Contains(prompt, s) {
			t.Errorf("prompt lacks %q", s)
		}
	}
	// A model may write any number; out of range is clamped.
	f.setReply(`{"contradicts": false, "confidence": -1717171717171717E4808080808080808, "reason": ""}`)
	if v, _, err := c.Check(context.Background(), "s", "a", "b"); err != nil || v.Confidence != 0 {
		t.Errorf("huge negative confidence: %+v, %v", v, err)
	}
	f.setReply(`{"contradicts": tr`)
	if _, _, err := c.Check(context.Background(), "s", "a", "b"); !errors.Is(err, ErrBadVerdict) {
		t.Errorf("cut-off answer: %v, want ErrBadVerdict", err)
	}
}
