package archival

import (
	"fmt"
	"sort"
	"time"
)

// ResolveKey applies the rule for single-valued facts to the passages of one agent that share
// one key: among those that take part, only the one with the latest ValidFrom stays valid, and
// each earlier one is superseded by the next, its ValidTo set to the next one's ValidFrom.
// Whatever order they arrived in, the result is the same, so a late-arriving older value never
// wins.
//
// A passage takes part while it is valid or superseded within the chain (by another passage of
// the key, or by nothing). An invalidated or expired passage, or one superseded from outside
// the key, does not, so invalidating the newest value makes the one before it current again.
//
// Authority (see Source.Authority): a passage is superseded only by a later one of at least its
// authority, so a user-asserted value stays valid beside a newer value from an agent, a tool or
// an import, until a caller confirms the supersession explicitly (a passage already superseded
// by a later, lower-authority member of the chain stays so).
//
// ResolveKey returns the passages whose Status, SupersededBy or ValidTo must change, with those
// fields changed and Cause set; the others are left as they are.
func ResolveKey(ps []Passage) []Passage {
	ids := make(map[string]bool, len(ps))
	for _, p := range ps {
		ids[p.ID] = true
	}
	var chain []Passage
	for _, p := range ps {
		switch {
		case p.Status == StatusValid || p.Status == "":
		case p.Status == StatusSuperseded && (p.SupersededBy == "" || ids[p.SupersededBy]):
		default:
			continue
		}
		chain = append(chain, p)
	}
	sort.SliceStable(chain, func(i, j int) bool {
		a, b := chain[i], chain[j]
		switch {
		case !a.ValidFrom.Equal(b.ValidFrom):
			return a.ValidFrom.Before(b.ValidFrom)
		case !a.CreatedAt.Equal(b.CreatedAt):
			return a.CreatedAt.Before(b.CreatedAt)
		}
		return a.ID < b.ID
	})
	pos := make(map[string]int, len(chain))
	for i, p := range chain {
		pos[p.ID] = i
	}
	var changed []Passage
	for i, p := range chain {
		want := p
		j := successor(chain, pos, i)
		if j < 0 {
			want.Status, want.SupersededBy, want.ValidTo = StatusValid, "", nil
			want.Cause = fmt.Sprintf("key %s: the newest value", p.Key)
			if i < len(chain)-1 {
				want.Cause = fmt.Sprintf("key %s: the newest value asserted by %s (newer values have less authority)", p.Key, p.Source)
			}
		} else {
			next := chain[j]
			vt := next.ValidFrom
			want.Status, want.SupersededBy, want.ValidTo = StatusSuperseded, next.ID, &vt
			want.Cause = fmt.Sprintf("key %s: a newer value (%s)", p.Key, next.ID)
		}
		if want.Status != p.Status || want.SupersededBy != p.SupersededBy || !sameTime(want.ValidTo, p.ValidTo) {
			changed = append(changed, want)
		}
	}
	return changed
}

// ResolveAfterDelete applies the key rule to what is left of one key's passages after the passage
// deletedID was deleted from them. The passages it superseded would otherwise stay superseded by
// a passage that no longer exists, outside the chain (see ResolveKey); here they rejoin it, so
// when deletedID was the current value, the value before it becomes current again. It returns
// the passages to change, as ResolveKey does, with a Cause that names the deletion.
func ResolveAfterDelete(ps []Passage, deletedID string) []Passage {
	in := make([]Passage, len(ps))
	orphaned := map[string]bool{}
	for i, p := range ps {
		if p.Status == StatusSuperseded && p.SupersededBy == deletedID {
			p.SupersededBy = ""
			orphaned[p.ID] = true
		}
		in[i] = p
	}
	changed := ResolveKey(in)
	for i, c := range changed {
		if orphaned[c.ID] {
			changed[i].Cause = fmt.Sprintf("%s, which superseded it, was deleted; %s", deletedID, c.Cause)
		}
	}
	return changed
}

// Unsupersede returns p, an unkeyed passage superseded by deletedID, as valid again now that
// deletedID is deleted: a supersession outside any key loses its evidence with the passage that
// made it. (A keyed passage rejoins its key's chain instead: ResolveAfterDelete.)
func Unsupersede(p Passage, deletedID string) Passage {
	p.Status, p.SupersededBy, p.ValidTo = StatusValid, "", nil
	p.Cause = fmt.Sprintf("%s, which superseded it, was deleted", deletedID)
	return p
}

// successor returns the index of the passage that supersedes chain[i], or -1 when it stays valid:
// the one it is already superseded by when that is a later, lower-authority member (a confirmed
// supersession), else the next passage of at least its authority.
func successor(chain []Passage, pos map[string]int, i int) int {
	p := chain[i]
	if p.Status == StatusSuperseded && p.SupersededBy != "" {
		if k, ok := pos[p.SupersededBy]; ok && k > i && chain[k].Source.Authority() < p.Source.Authority() {
			return k
		}
	}
	for k := i + 1; k < len(chain); k++ {
		if chain[k].Source.Authority() >= p.Source.Authority() {
			return k
		}
	}
	return -1
}

// Authority ranks sources for supersession: a user-asserted fact (or one with no recorded
// source) outranks what an agent inferred, a tool returned, an import brought or a compaction
// derived. A passage never supersedes one of higher authority on its own.
func (s Source) Authority() int {
	switch s {
	case SourceUser, "":
		return 2
	}
	return 1
}

func sameTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.Equal(*b)
}

// Diff returns the history event that a write of next makes (old is nil for a new passage), and
// false when the write changes nothing the history records.
func Diff(old *Passage, next Passage, at time.Time) (Event, bool) {
	e := Event{AgentID: next.AgentID, PassageID: next.ID, At: at, ToStatus: next.Status,
		SupersededBy: next.SupersededBy, Cause: next.Cause}
	if next.Status == "" {
		e.ToStatus = StatusValid
	}
	if old == nil {
		e.Action = ActionCreated
		return e, true
	}
	from := old.Status
	e.FromStatus = from
	switch {
	case from != e.ToStatus && e.ToStatus == StatusValid:
		e.Action = ActionRestored
	case from != e.ToStatus || (e.ToStatus == StatusSuperseded && old.SupersededBy != next.SupersededBy):
		e.Action = string(e.ToStatus) // superseded, invalidated or expired
	case next.PossiblySupersededBy != "" && next.PossiblySupersededBy != old.PossiblySupersededBy:
		e.Action, e.SupersededBy, e.Confidence = ActionPossiblySuperseded, next.PossiblySupersededBy, next.Confidence
	case next.PossiblySupersededBy == "" && old.PossiblySupersededBy != "":
		e.Action = ActionRestored // a possible supersession was dismissed
	default:
		return Event{}, false
	}
	return e, true
}
