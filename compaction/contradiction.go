package compaction

import (
	"context"
	"fmt"
	"strings"

	"github.com/memsvc/memsvc/archival"
	"github.com/memsvc/memsvc/pager"
	"github.com/memsvc/memsvc/state"
	"github.com/memsvc/memsvc/validity"
)

// Verdict is a model's judgement of whether a newer statement contradicts an older one.
type Verdict struct {
	Contradicts bool
	Confidence  float64 // in [0, 1]
	Reason      string
}

// Contradictor asks a model whether a newer statement contradicts an older one. Both are about
// subject and belong to one agent: a job asks about an evicted message (newer) and a passage of
// the same agent and subject (older) that its search found. Check returns what the call cost; an
// error fails this check only (the job goes on and the error is counted).
type Contradictor interface {
	Check(ctx context.Context, subject, older, newer string) (Verdict, pager.Usage, error)
}

// checkContradictions asks the Contradictor about the evicted messages that name a subject,
// against the agent's valid passages about the same subject that are older than the message
// (summaries excluded), at most MaxChecks times. A contradiction at MinConfidence or more marks
// the passage possibly superseded by the summary that records the message (summaryPassage), with
// the verdict's confidence and reason: the archival store records it in the passage's history. It
// returns what the checks cost.
func (s *Service) checkContradictions(ctx context.Context, c state.Compaction, msgs []state.Message, summaryPassage string) (pager.Usage, error) {
	var usage pager.Usage
	if s.cfg.Contradictor == nil {
		return usage, nil
	}
	type stmt struct {
		m       state.Message
		subject string
	}
	var stmts []stmt
	var texts []string
	for _, m := range msgs {
		if m.Role != "user" && m.Role != "assistant" || strings.TrimSpace(m.Content) == "" {
			continue
		}
		if subj := validity.SubjectOf("", m.Content); subj != "" {
			stmts = append(stmts, stmt{m, subj})
			texts = append(texts, m.Content)
		}
	}
	if len(stmts) == 0 {
		return usage, nil
	}
	vecs, err := s.cfg.Embedder.Embed(ctx, texts)
	if err != nil {
		return usage, err
	}
	checks := 0
	checked := map[string]bool{}
	for i, st := range stmts {
		hits, err := s.cfg.Archival.Search(ctx, archival.Query{AgentID: c.AgentID, Text: st.m.Content, Vector: vecs[i], K: 10})
		if err != nil {
			return usage, err
		}
		for _, h := range hits {
			p := h.Passage
			if checks >= s.cfg.MaxChecks {
				return usage, nil
			}
			if p.Source == archival.SourceCompaction || checked[p.ID] || p.ValidFrom.After(st.m.CreatedAt) ||
				!about(p, st.subject) || sameText(p.Text, st.m.Content) {
				continue
			}
			checked[p.ID] = true
			checks++
			v, u, err := s.cfg.Contradictor.Check(ctx, st.subject, p.Text, st.m.Content)
			usage.TokensIn += u.TokensIn
			usage.TokensOut += u.TokensOut
			if err != nil {
				if ctx.Err() != nil {
					return usage, ctx.Err()
				}
				s.metrics.contradictions.WithLabelValues("error").Inc()
				s.cfg.Logger.Warn("contradiction check", "agent", c.AgentID, "passage", p.ID, "err", err)
				continue
			}
			if !v.Contradicts {
				s.metrics.contradictions.WithLabelValues("consistent").Inc()
				continue
			}
			s.metrics.contradictions.WithLabelValues("contradicts").Inc()
			if v.Confidence < s.cfg.MinConfidence {
				continue
			}
			cause := fmt.Sprintf("contradicted by message %s (seq %d), model verdict in compaction %s (confidence %.2f): %s",
				st.m.ID, st.m.Seq, c.ID, v.Confidence, v.Reason)
			// Flagged on the passage as it is under the write lock, so a change made while the
			// model was asked stands.
			err = s.cfg.Pager.UpdateArchival(ctx, c.AgentID, []string{p.ID}, func(cur []*archival.Passage) ([]archival.Passage, error) {
				q := cur[0]
				if q == nil || q.Status != archival.StatusValid || q.PossiblySupersededBy != "" && q.Confidence >= v.Confidence {
					return nil, nil
				}
				q.PossiblySupersededBy, q.Confidence, q.Cause = summaryPassage, v.Confidence, cause
				return []archival.Passage{*q}, nil
			})
			if err != nil {
				return usage, err
			}
		}
	}
	return usage, nil
}

func sameText(a, b string) bool {
	return strings.EqualFold(strings.Join(strings.Fields(a), " "), strings.Join(strings.Fields(b), " "))
}

// about reports whether a passage is about subject: by its key's subject, or by its text's. A
// key names its subject's slot ("alice/sister_city"), while its text may say whose it is more
// closely ("Alice's sister lives in Berlin" is about "alice's sister", as a message saying she
// moved is).
func about(p archival.Passage, subject string) bool {
	return validity.SubjectOf(p.Key, p.Text) == subject || p.Key != "" && validity.SubjectOf("", p.Text) == subject
}
