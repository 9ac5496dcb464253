package qdrantarchival

import (
	"slices"
	"time"
	"unicode/utf8"

	"github.com/qdrant/go-client/qdrant"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/memsvc/memsvc/archival"
)

// agentCondition keeps the points of one agent (the tenant key).
func agentCondition(agentID string) *qdrant.Condition {
	return qdrant.NewMatchKeyword(fieldAgent, agentID)
}

// searchFilter is q's restriction of the candidate passages, the rule of the other stores, as one
// Qdrant filter that both lists use:
//
//   - the agent (always);
//   - with AsOf set, only the validity interval decides: valid_from <= as_of, and valid_to empty
//     (null) or > as_of; a passage superseded since was valid then;
//   - without it, status = valid unless IncludeInvalid;
//   - every tag of q (a list payload matches a keyword when any element equals it).
//
// It returns nil when no passage can pass: a tag that is not valid UTF-8, which no passage can
// carry (and protobuf cannot send).
func searchFilter(q archival.Query) *qdrant.Filter {
	must := []*qdrant.Condition{agentCondition(q.AgentID)}
	if q.AsOf != nil {
		at := timestamppb.New(q.AsOf.Truncate(time.Microsecond)) // stored times are whole microseconds
		must = append(must,
			qdrant.NewDatetimeRange(fieldValidFrom, &qdrant.DatetimeRange{Lte: at}),
			qdrant.NewFilterAsCondition(&qdrant.Filter{Should: []*qdrant.Condition{
				qdrant.NewIsEmpty(fieldValidTo),
				qdrant.NewDatetimeRange(fieldValidTo, &qdrant.DatetimeRange{Gt: at}),
			}}),
		)
	} else if !q.IncludeInvalid {
		must = append(must, qdrant.NewMatchKeyword(fieldStatus, string(archival.StatusValid)))
	}
	var tags []string
	for _, t := range q.Tags {
		if !utf8.ValidString(t) {
			return nil
		}
		if !slices.Contains(tags, t) {
			tags = append(tags, t)
			must = append(must, qdrant.NewMatchKeyword(fieldTags, t))
		}
	}
	return &qdrant.Filter{Must: must}
}
