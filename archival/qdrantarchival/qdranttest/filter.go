package qdranttest

import (
	"slices"
	"time"

	"github.com/qdrant/go-client/qdrant"
)

// checkFilter refuses a filter on a field without a payload index, or with a condition the
// protocol server does not implement.
func (c *collection) checkFilter(f *qdrant.Filter) error {
	if f == nil {
		return nil
	}
	if f.MinShould != nil {
		return unimplemented("min_should")
	}
	for _, conds := range [][]*qdrant.Condition{f.GetMust(), f.GetShould(), f.GetMustNot()} {
		for _, cond := range conds {
			var field string
			switch v := cond.GetConditionOneOf().(type) {
			case *qdrant.Condition_Filter:
				if err := c.checkFilter(v.Filter); err != nil {
					return err
				}
				continue
			case *qdrant.Condition_HasId:
				continue
			case *qdrant.Condition_IsEmpty:
				field = v.IsEmpty.GetKey()
			case *qdrant.Condition_IsNull:
				field = v.IsNull.GetKey()
			case *qdrant.Condition_Field:
				fc := v.Field
				field = fc.GetKey()
				switch {
				case fc.GetMatch() != nil:
					switch fc.GetMatch().GetMatchValue().(type) {
					case *qdrant.Match_Keyword, *qdrant.Match_Keywords:
					default:
						return unimplemented("this match")
					}
				case fc.GetDatetimeRange() != nil:
					if ix := c.indexes[field]; ix != nil && ix.typ != qdrant.FieldType_FieldTypeDatetime {
						return invalid("Bad request: a datetime range on %q needs a datetime index", field)
					}
				case fc.IsEmpty != nil || fc.IsNull != nil:
				default:
					return unimplemented("this field condition")
				}
			default:
				return unimplemented("this condition")
			}
			if c.indexes[field] == nil {
				return invalid("Bad request: Index required but not found for \"%s\" (the protocol server refuses filters on unindexed fields)", field)
			}
		}
	}
	return nil
}

// match reports whether p passes f: every must, at least one should (when there are any), no
// must_not.
func match(f *qdrant.Filter, p *point) bool {
	for _, c := range f.GetMust() {
		if !cond(c, p) {
			return false
		}
	}
	for _, c := range f.GetMustNot() {
		if cond(c, p) {
			return false
		}
	}
	if len(f.GetShould()) == 0 {
		return true
	}
	for _, c := range f.GetShould() {
		if cond(c, p) {
			return true
		}
	}
	return false
}

func cond(c *qdrant.Condition, p *point) bool {
	switch v := c.GetConditionOneOf().(type) {
	case *qdrant.Condition_Filter:
		return match(v.Filter, p)
	case *qdrant.Condition_HasId:
		k, _ := key(p.id)
		for _, id := range v.HasId.GetHasId() {
			if ik, err := key(id); err == nil && ik == k {
				return true
			}
		}
		return false
	case *qdrant.Condition_IsEmpty:
		return empty(p.payload[v.IsEmpty.GetKey()])
	case *qdrant.Condition_IsNull:
		_, isNull := p.payload[v.IsNull.GetKey()].GetKind().(*qdrant.Value_NullValue)
		return isNull
	case *qdrant.Condition_Field:
		return field(v.Field, p.payload[v.Field.GetKey()])
	}
	return false
}

// empty is Qdrant's is_empty: missing, null or [].
func empty(v *qdrant.Value) bool {
	switch k := v.GetKind().(type) {
	case nil, *qdrant.Value_NullValue:
		return true
	case *qdrant.Value_ListValue:
		return len(k.ListValue.GetValues()) == 0
	}
	return false
}

// values flattens a payload value into the values a condition tests: a list's elements, or the
// value itself.
func values(v *qdrant.Value) []*qdrant.Value {
	if l, ok := v.GetKind().(*qdrant.Value_ListValue); ok {
		return l.ListValue.GetValues()
	}
	if v == nil {
		return nil
	}
	return []*qdrant.Value{v}
}

func field(fc *qdrant.FieldCondition, v *qdrant.Value) bool {
	switch {
	case fc.IsEmpty != nil:
		return empty(v) == fc.GetIsEmpty()
	case fc.IsNull != nil:
		_, isNull := v.GetKind().(*qdrant.Value_NullValue)
		return isNull == fc.GetIsNull()
	case fc.GetMatch() != nil:
		var want []string
		switch m := fc.GetMatch().GetMatchValue().(type) {
		case *qdrant.Match_Keyword:
			want = []string{m.Keyword}
		case *qdrant.Match_Keywords:
			want = m.Keywords.GetStrings()
		}
		for _, x := range values(v) {
			if s, ok := x.GetKind().(*qdrant.Value_StringValue); ok && slices.Contains(want, s.StringValue) {
				return true
			}
		}
		return false
	case fc.GetDatetimeRange() != nil:
		r := fc.GetDatetimeRange()
		for _, x := range values(v) {
			t, err := time.Parse(time.RFC3339Nano, x.GetStringValue())
			if err != nil {
				continue
			}
			t = t.Truncate(time.Microsecond)
			ok := true
			if r.Lt != nil {
				ok = ok && t.Before(r.Lt.AsTime().Truncate(time.Microsecond))
			}
			if r.Lte != nil {
				ok = ok && !t.After(r.Lte.AsTime().Truncate(time.Microsecond))
			}
			if r.Gt != nil {
				ok = ok && t.After(r.Gt.AsTime().Truncate(time.Microsecond))
			}
			if r.Gte != nil {
				ok = ok && !t.Before(r.Gte.AsTime().Truncate(time.Microsecond))
			}
			if ok {
				return true
			}
		}
		return false
	}
	return false
}

// selectPayload applies a with_payload selector: nil or false returns none.
func selectPayload(p map[string]*qdrant.Value, sel *qdrant.WithPayloadSelector) map[string]*qdrant.Value {
	switch v := sel.GetSelectorOptions().(type) {
	case *qdrant.WithPayloadSelector_Enable:
		if v.Enable {
			return clonePayload(p)
		}
	case *qdrant.WithPayloadSelector_Include:
		out := map[string]*qdrant.Value{}
		for _, f := range v.Include.GetFields() {
			if x, ok := p[f]; ok {
				out[f] = x
			}
		}
		return clonePayload(out)
	case *qdrant.WithPayloadSelector_Exclude:
		out := clonePayload(p)
		for _, f := range v.Exclude.GetFields() {
			delete(out, f)
		}
		return out
	}
	return nil
}
