package pager

import (
	"context"
	"errors"
	"testing"

	"github.com/memsvc/memsvc/state"
)

// TestUnscopedContextSeesNothing: tenant scope fails closed. A caller whose context names no
// tenant (a code path that forgot to scope it) finds no agent, lists none, and reads or writes
// nothing of any agent; the agent and its memory are untouched by the attempt.
func TestUnscopedContextSeesNothing(t *testing.T) {
	bothStores(t, func(t *testing.T, svc *Service) {
		scoped := state.WithTenant(context.Background(), state.DefaultTenant)
		a, err := svc.CreateAgent(scoped, AgentSpec{Name: "a", ContextWindow: 4096,
			Blocks: []state.Block{{Label: "human", Value: "Alice."}}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.InsertPassage(scoped, a.ID, PassageInput{Text: "Alice lives in Paris."}); err != nil {
			t.Fatal(err)
		}
		none := context.Background()
		notFound := func(what string, err error) {
			t.Helper()
			if !errors.Is(err, ErrNotFound) {
				t.Errorf("%s with an unscoped context: %v, want ErrNotFound", what, err)
			}
		}
		_, err = svc.GetAgent(none, a.ID)
		notFound("GetAgent", err)
		_, err = svc.SearchArchival(none, a.ID, ArchivalQuery{Query: "Paris", K: 5})
		notFound("SearchArchival", err)
		_, err = svc.SearchRecall(none, a.ID, RecallQuery{Query: "Paris", K: 5})
		notFound("SearchRecall", err)
		_, err = svc.ExportAgent(none, a.ID)
		notFound("ExportAgent", err)
		_, err = svc.ListSummaries(none, a.ID)
		notFound("ListSummaries", err)
		_, err = svc.InsertPassage(none, a.ID, PassageInput{Text: "Alice lives in Rome."})
		notFound("InsertPassage", err)
		notFound("DeleteAgent", svc.DeleteAgent(none, a.ID))
		if list, _, err := svc.ListAgents(none, state.ListOptions{Limit: 10}); err != nil || len(list) != 0 {
			t.Errorf("ListAgents with an unscoped context: %d agents, %v; want none", len(list), err)
		}
		// Nothing changed: the agent is there, with its one passage.
		hits, err := svc.SearchArchival(scoped, a.ID, ArchivalQuery{Query: "Alice lives", K: 5})
		if err != nil || len(hits) != 1 {
			t.Fatalf("after the unscoped calls: %d hits, %v; want the one passage", len(hits), err)
		}
	})
}
