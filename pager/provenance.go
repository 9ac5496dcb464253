package pager

import (
	"context"
	"fmt"

	"github.com/memsvc/memsvc/archival"
)

// Provenance and authority. Every passage records its source. A user-asserted fact outranks what
// an agent inferred, a tool returned, an import brought or a compaction derived
// (archival.Source.Authority), and a lower-authority passage never supersedes a higher one on its
// own, on any path:
//
//   - explicit: a lower-authority insert with supersedes, or an agent's memory_invalidate of a
//     user fact, flags the fact possibly superseded for review instead (flagForReview);
//   - the key rule: archival.ResolveKey supersedes a value only by a later one of at least its
//     authority, and the pager flags the user's value for review (flagKeyConflicts);
//   - automatic possible supersession: already only a flag; its confidence is discounted when
//     the newcomer has less authority (possibleSupersessions).
//
// Text never acts: a passage's words are stored and returned as data, and only these structured
// fields, set by a caller's request, change validity.

// reviewConfidence is the confidence of a possible supersession that a lower-authority source
// claimed explicitly; lowerAuthorityDiscount scales one found by similarity.
const (
	reviewConfidence       = 0.5
	lowerAuthorityDiscount = 0.5
)

type maxSourceKey struct{}

// WithMaxSource returns ctx whose caller may claim passage sources of at most source's authority
// (the API sets it from the caller's key): a passage it stores defaults to source, a higher
// source in the request is refused, and its invalidations and restores act with that authority.
// A context without it may claim any source (the user's included).
func WithMaxSource(ctx context.Context, source archival.Source) context.Context {
	return context.WithValue(ctx, maxSourceKey{}, source)
}

// callerSource is the source a caller's write claims: requested, or the caller's highest when
// none is; ErrPermissionDenied when requested is above what the caller may claim.
func callerSource(ctx context.Context, requested archival.Source) (archival.Source, error) {
	limit, capped := ctx.Value(maxSourceKey{}).(archival.Source)
	if !capped {
		limit = archival.SourceUser
	}
	if requested == "" {
		return limit, nil
	}
	if capped && requested.Authority() > limit.Authority() {
		return "", errorf(ErrPermissionDenied, "this API key may claim sources up to %s, not %s", limit, requested)
	}
	return requested, nil
}

// outranks reports whether p's source has more authority than source.
func outranks(p archival.Passage, source archival.Source) bool {
	return p.Source.Authority() > source.Authority()
}

// flagForReview returns p marked possibly superseded by by, recording why; a passage no longer
// valid is returned as it is (nothing to protect).
func flagForReview(p, by archival.Passage, why string) archival.Passage {
	if p.Status != archival.StatusValid {
		return p
	}
	p.PossiblySupersededBy, p.Confidence = by.ID, reviewConfidence
	p.Cause = fmt.Sprintf("possibly superseded by %s: %s, but a %s passage cannot supersede a %s-asserted one on its own; review it",
		by.ID, why, by.Source, p.Source)
	return p
}

// keyConflictCandidates is how many of the nearest passages flagKeyConflicts looks through.
const keyConflictCandidates = 100

// flagKeyConflicts flags for review the valid, higher-authority passages of p's key that p, a
// newer lower-authority value, did not supersede under the key rule. They are found among the
// passages nearest p (one key holds values of one fact, which read alike), so this is a
// best-effort annotation; the key rule itself guarantees that none of them was superseded.
func (s *Service) flagKeyConflicts(ctx context.Context, p archival.Passage) error {
	if p.Key == "" || p.Source.Authority() >= archival.SourceUser.Authority() || p.Status != archival.StatusValid {
		return nil
	}
	hits, err := s.cfg.Archival.Search(ctx, archival.Query{AgentID: p.AgentID, Text: p.Text, Vector: p.Vector, K: keyConflictCandidates})
	if err != nil {
		return err
	}
	conflict := func(o *archival.Passage) bool {
		return o != nil && o.ID != p.ID && o.Key == p.Key && outranks(*o, p.Source) && o.Status == archival.StatusValid &&
			!o.ValidFrom.After(p.ValidFrom) && o.PossiblySupersededBy != p.ID
	}
	var ids []string
	for _, h := range hits {
		if conflict(&h.Passage) {
			ids = append(ids, h.Passage.ID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	// Flagged on the passages as they are under the write lock, so a concurrent change stands.
	return s.UpdateArchival(ctx, p.AgentID, ids, func(cur []*archival.Passage) ([]archival.Passage, error) {
		var out []archival.Passage
		for _, o := range cur {
			if conflict(o) {
				out = append(out, flagForReview(*o, p, "a newer value of key "+p.Key))
			}
		}
		return out, nil
	})
}
