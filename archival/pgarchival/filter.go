package pgarchival

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/memsvc/memsvc/archival"
)

// filter is a query's restriction of the candidate passages, the rule of memarchival: with AsOf
// set, only the validity interval decides (valid_from <= as_of < valid_to; a passage superseded
// since was valid then); without it, only valid passages pass unless IncludeInvalid. Tags must
// all be present. The same SQL condition restricts the dense and the lexical list.
type filter struct {
	asOf           *time.Time
	includeInvalid bool
	tags           []string
	impossible     bool // a tag no passage can carry
}

func newFilter(q archival.Query) filter {
	f := filter{includeInvalid: q.IncludeInvalid}
	if q.AsOf != nil {
		// Stored times are whole microseconds, so comparing them with as_of truncated is exact.
		t := q.AsOf.Truncate(time.Microsecond)
		f.asOf = &t
	}
	for _, t := range q.Tags {
		if !archival.Storable(t) {
			f.impossible = true
		}
		if !slices.Contains(f.tags, t) {
			f.tags = append(f.tags, t)
		}
	}
	return f
}

// where returns f as a condition over the unqualified columns of passages, with its parameters
// appended to args (numbered after those already there).
func (f filter) where(args []any) (string, []any) {
	if f.impossible {
		return "FALSE", args
	}
	var conds []string
	if f.asOf != nil {
		args = append(args, *f.asOf)
		n := len(args)
		conds = append(conds, fmt.Sprintf("valid_from <= $%d AND (valid_to IS NULL OR valid_to > $%d)", n, n))
	} else if !f.includeInvalid {
		conds = append(conds, "status = 'valid'")
	}
	if len(f.tags) > 0 {
		args = append(args, f.tags)
		conds = append(conds, fmt.Sprintf("tags @> $%d::text[]", len(args)))
	}
	if len(conds) == 0 {
		return "TRUE", args
	}
	return strings.Join(conds, " AND "), args
}
