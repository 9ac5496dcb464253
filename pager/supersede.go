package pager

import (
	"context"
	"fmt"
	"strings"

	"github.com/memsvc/memsvc/archival"
	"github.com/memsvc/memsvc/validity"
)

// supersessionCandidate is a valid passage that a new passage may replace, or be replaced by,
// found by similarity (supersessionCandidates): its id, the confidence and why.
type supersessionCandidate struct {
	id    string
	conf  float64
	cause string
}

// supersessionCandidateK is how many of a new passage's nearest passages
// supersessionCandidates looks through.
const supersessionCandidateK = 20

// supersessionCandidates finds, for each passage ps[i] of one agent that is judged by similarity
// (ask[i]), the agent's valid passages that it may replace, or that may replace it when it
// arrived late: no key on either, each one statement about the same named subject
// (validity.MayCompareWhole), and a cosine of at least Scoring.SupersedeCosine among its
// supersessionCandidateK nearest, but not the same text. markSupersessions then marks them on
// the passages as they are under the write lock. The nearest passages of all of ps are found in
// one archival.SearchNeighbors, which reads the id, key and text of only those at or above the
// cosine threshold.
func (s *Service) supersessionCandidates(ctx context.Context, agentID string, ps []archival.Passage, ask []bool) ([][]supersessionCandidate, error) {
	out := make([][]supersessionCandidate, len(ps))
	t := s.cfg.Scoring.SupersedeCosine
	if t <= 0 || t >= 1 { // SupersessionConfidence is 0 for every cosine
		return out, nil
	}
	vecs := make([][]float32, len(ps))
	subjects := make([]string, len(ps))
	asked := false
	var situated []int // passages with a context, whose own text is embedded again alone
	for i, p := range ps {
		if !ask[i] || p.Key != "" {
			continue
		}
		if validity.MayCompareWhole(p.Text) {
			vecs[i], subjects[i], asked = p.Vector, validity.SubjectOf("", p.Text), true
			if p.Context != "" {
				situated = append(situated, i)
			}
		}
	}
	if !asked {
		return out, nil
	}
	// A passage's vector holds its context (PassageEmbedText), but whether two passages state
	// one thing is a matter of their texts: two facts from one document share its context, and
	// their vectors are near for that alone. A passage with a context looks for its neighbours,
	// and judges them, by its text's embedding and theirs.
	if err := s.textVectors(ctx, ps, situated, vecs); err != nil {
		return nil, err
	}
	near, err := archival.SearchNeighbors(ctx, s.cfg.Archival, archival.NeighborQuery{AgentID: agentID, Vectors: vecs, K: supersessionCandidateK, MinDense: t})
	if err != nil {
		return nil, err
	}
	for i, ns := range near {
		if vecs[i] == nil {
			continue
		}
		p := ps[i]
		var found []archival.Neighbor
		for _, o := range ns {
			if s.cfg.Scoring.SupersessionConfidence(o.Dense) == 0 || o.Key != "" {
				continue
			}
			if validity.SubjectOf("", o.Text) != subjects[i] || sameText(o.Text, p.Text) || !validity.MayCompareWhole(o.Text) {
				continue
			}
			found = append(found, o)
		}
		if p.Context != "" && len(found) > 0 {
			if found, err = s.byTexts(ctx, vecs[i], found); err != nil {
				return nil, err
			}
		}
		for _, o := range found {
			conf := s.cfg.Scoring.SupersessionConfidence(o.Dense)
			if conf == 0 {
				continue
			}
			out[i] = append(out[i], supersessionCandidate{id: o.ID, conf: conf, cause: fmt.Sprintf("same subject (%s), cosine %.2f", subjects[i], o.Dense)})
		}
	}
	return out, nil
}

// textVectors sets vecs[i], for each i of idx, to the embedding of ps[i]'s text alone.
func (s *Service) textVectors(ctx context.Context, ps []archival.Passage, idx []int, vecs [][]float32) error {
	if len(idx) == 0 {
		return nil
	}
	texts := make([]string, len(idx))
	for j, i := range idx {
		texts[j] = PassageEmbedText(ps[i].Key, ps[i].Text, string(ps[i].Source), "")
	}
	vs, err := s.cfg.Embedder.Embed(ctx, texts)
	if err != nil {
		return fmt.Errorf("pager: embed passage texts: %w", err)
	}
	for j, i := range idx {
		vecs[i] = vs[j]
	}
	return nil
}

// byTexts returns the neighbours with Dense set to the cosine between vec (a text's embedding)
// and the embedding of each neighbour's text alone, whatever context its stored vector holds.
func (s *Service) byTexts(ctx context.Context, vec []float32, ns []archival.Neighbor) ([]archival.Neighbor, error) {
	texts := make([]string, len(ns))
	for j, o := range ns {
		texts[j] = PassageEmbedText("", o.Text, "", "")
	}
	vs, err := s.cfg.Embedder.Embed(ctx, texts)
	if err != nil {
		return nil, fmt.Errorf("pager: embed neighbour texts: %w", err)
	}
	out := make([]archival.Neighbor, len(ns))
	for j, o := range ns {
		o.Dense = validity.Cosine(vec, vs[j])
		out[j] = o
	}
	return out, nil
}

// markSupersessions marks the older of p and each candidate possibly superseded by the newer,
// with a confidence; nothing is invalidated. cur holds the candidates as they are now (nil for
// one deleted since), in the order of cands: one no longer valid is left alone. It returns the
// passages to write besides p, and may mark p itself.
func markSupersessions(p *archival.Passage, cands []supersessionCandidate, cur []*archival.Passage) []archival.Passage {
	var out []archival.Passage
	for i, c := range cands {
		if cur[i] == nil || cur[i].Status != archival.StatusValid {
			continue
		}
		o := *cur[i]
		conf, cause := c.conf, c.cause
		if o.ValidFrom.After(p.ValidFrom) {
			if conf > p.Confidence {
				p.PossiblySupersededBy, p.Confidence = o.ID, conf
			}
			continue
		}
		if outranks(o, p.Source) {
			conf *= lowerAuthorityDiscount // a lower-authority newcomer only weakly suggests it
			cause += fmt.Sprintf("; a %s passage cannot supersede a %s-asserted one on its own: review it", p.Source, o.Source)
		}
		if o.PossiblySupersededBy != "" && o.Confidence >= conf {
			continue
		}
		o.PossiblySupersededBy, o.Confidence, o.Cause = p.ID, conf, "possibly superseded by "+p.ID+": "+cause
		out = append(out, o)
	}
	return out
}

func sameText(a, b string) bool {
	return strings.EqualFold(strings.Join(strings.Fields(a), " "), strings.Join(strings.Fields(b), " "))
}

// Invalidate marks a passage as no longer true: superseded when supersededBy names the passage
// that replaces it, else invalidated. Its validity interval ends now (or when the replacement
// became true), and the change is recorded in its history with the reason. It acts with the
// caller's authority (a REST caller confirms what it does); a denied memory_invalidate is
// ErrPermissionDenied.
func (s *Service) Invalidate(ctx context.Context, agentID, id, reason, supersededBy string) (archival.Passage, error) {
	actor, _ := callerSource(ctx, "")
	return s.invalidate(ctx, agentID, id, reason, supersededBy, actor)
}

// invalidate is Invalidate on behalf of actor. An actor of lower authority than the passage's
// source (an agent's tool call against a user-asserted fact) cannot overrule it on its own:
// without a replacement it is refused; with a replacement of lower authority too, the passage
// stays valid and is flagged possibly superseded, for review (see flagForReview).
func (s *Service) invalidate(ctx context.Context, agentID, id, reason, supersededBy string, actor archival.Source) (archival.Passage, error) {
	if strings.TrimSpace(reason) == "" {
		return archival.Passage{}, errorf(ErrInvalidArgument, "reason is required")
	}
	if len(reason) > 2000 {
		return archival.Passage{}, errorf(ErrInvalidArgument, "reason is longer than 2000 bytes")
	}
	if err := checkText("reason", reason); err != nil {
		return archival.Passage{}, err
	}
	if _, err := s.agentFor(ctx, agentID, "memory_invalidate"); err != nil {
		return archival.Passage{}, err
	}
	ids := []string{id}
	if supersededBy != "" {
		if supersededBy == id {
			return archival.Passage{}, errorf(ErrInvalidArgument, "a passage cannot supersede itself")
		}
		ids = append(ids, supersededBy)
	}
	// Read, decide and write under the agent's archival write lock (archival.Store.Update), so
	// that a concurrent change of the passage is never overwritten with what was read before it.
	end := s.now()
	err := s.UpdateArchival(ctx, agentID, ids, func(cur []*archival.Passage) ([]archival.Passage, error) {
		if cur[0] == nil {
			return nil, passageErr(id, archival.ErrNotFound)
		}
		p := *cur[0]
		if supersededBy != "" {
			if cur[1] == nil {
				return nil, errorf(ErrNotFound, "superseded_by: passage %s does not exist", supersededBy)
			}
			by := *cur[1]
			if outranks(p, actor) && outranks(p, by.Source) {
				return []archival.Passage{flagForReview(p, by, fmt.Sprintf("%s asked to supersede it (%s)", actor, reason))}, nil
			}
			if by.ValidFrom.After(p.ValidFrom) {
				end = by.ValidFrom
			}
			p.Status, p.SupersededBy = archival.StatusSuperseded, supersededBy
		} else {
			if outranks(p, actor) {
				return nil, errorf(ErrPermissionDenied, "passage %s was asserted by the %s, so an %s cannot invalidate it on its own; "+
					"store the new fact instead, and the old one is flagged for review", id, p.Source, actor)
			}
			p.Status, p.SupersededBy = archival.StatusInvalidated, ""
		}
		p.ValidTo, p.Cause = &end, reason
		return []archival.Passage{p}, nil
	})
	if err != nil {
		return archival.Passage{}, err
	}
	p, err := s.cfg.Archival.Get(ctx, agentID, id)
	return p, passageErr(id, err)
}

// Restore undoes an invalidation or supersession: the passage is valid again, open-ended, and
// the restoration is recorded in its history. Within a key the newest valid value still wins,
// so restoring an older value of a key leaves it superseded while a newer one is valid.
func (s *Service) Restore(ctx context.Context, agentID, id string) (archival.Passage, error) {
	if _, err := s.agentFor(ctx, agentID, ActionMemoryRestore); err != nil {
		return archival.Passage{}, err
	}
	err := s.UpdateArchival(ctx, agentID, []string{id}, func(cur []*archival.Passage) ([]archival.Passage, error) {
		if cur[0] == nil {
			return nil, passageErr(id, archival.ErrNotFound)
		}
		p := *cur[0]
		if p.Status == archival.StatusValid && p.PossiblySupersededBy == "" {
			return nil, errorf(ErrConflict, "passage %s is valid: there is nothing to restore", id)
		}
		if actor, _ := callerSource(ctx, ""); outranks(p, actor) {
			return nil, errorf(ErrPermissionDenied, "passage %s was asserted by the %s, so an %s cannot restore it", id, p.Source, actor)
		}
		p.Status, p.SupersededBy, p.ValidTo = archival.StatusValid, "", nil
		p.PossiblySupersededBy, p.Confidence, p.Cause = "", 0, "restored"
		return []archival.Passage{p}, nil
	})
	if err != nil {
		return archival.Passage{}, err
	}
	p, err := s.cfg.Archival.Get(ctx, agentID, id)
	return p, passageErr(id, err)
}

// PassageHistory returns a passage's validity history, oldest first.
func (s *Service) PassageHistory(ctx context.Context, agentID, id string) ([]archival.Event, error) {
	if _, err := s.agentFor(ctx, agentID, ""); err != nil {
		return nil, err
	}
	h, err := s.cfg.Archival.History(ctx, agentID, id)
	return h, passageErr(id, err)
}
