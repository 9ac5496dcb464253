package memarchival

import (
	"slices"

	"github.com/memsvc/memsvc/archival"
)

// filter is a query's restriction of the candidate passages. The same keep decides for both the
// dense and the lexical list, so the two cannot disagree.
//
// With AsOf set, only the validity interval decides: a passage superseded since was valid at
// AsOf, so its current status must not hide it. Without AsOf, only valid passages pass unless
// IncludeInvalid. Tags must all be present.
type filter struct {
	asOf           int64
	hasAsOf        bool
	includeInvalid bool
	tags           []string
}

func newFilter(q archival.Query) filter {
	f := filter{includeInvalid: q.IncludeInvalid}
	if q.AsOf != nil {
		f.asOf, f.hasAsOf = q.AsOf.UnixNano(), true
	}
	for _, t := range q.Tags {
		if !slices.Contains(f.tags, t) {
			f.tags = append(f.tags, t)
		}
	}
	return f
}

// indexKeep returns how an index search (vecindex, lexindex) answers f over the agent's
// entries: shown is whether to search only what the index does not hide (the passages that are
// not valid, see setEntry), and keep what is left to ask of each candidate (nil: nothing).
// Without as_of or include_invalid only tags are left; with include_invalid and no tags,
// nothing.
func (f filter) indexKeep(ents map[string]*entry) (keep func(id string) bool, shown bool) {
	validOnly := !f.hasAsOf && !f.includeInvalid
	if len(f.tags) == 0 && !f.hasAsOf {
		return nil, validOnly
	}
	return func(id string) bool {
		e := ents[id]
		return e != nil && f.keep(e)
	}, validOnly
}

// keep reports whether the passage described by e passes f.
func (f filter) keep(e *entry) bool {
	if f.hasAsOf {
		if e.validFrom > f.asOf || (e.hasValidTo && f.asOf >= e.validTo) {
			return false
		}
	} else if !f.includeInvalid && e.status != archival.StatusValid {
		return false
	}
	for _, t := range f.tags {
		if !slices.Contains(e.tags, t) {
			return false
		}
	}
	return true
}
