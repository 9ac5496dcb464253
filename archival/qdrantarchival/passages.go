package qdrantarchival

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/qdrant/go-client/qdrant"

	"github.com/memsvc/memsvc/archival"
	"github.com/memsvc/memsvc/archival/outbox"
)

// Get returns one passage of an agent, or ErrNotFound (also when the id belongs to another agent,
// whose point id differs).
func (s *Store) Get(ctx context.Context, agentID, id string) (archival.Passage, error) {
	if err := ctx.Err(); err != nil {
		return archival.Passage{}, fmt.Errorf("qdrantarchival: get %s: %w", id, err)
	}
	if !archival.Storable(agentID) || !archival.Storable(id) {
		return archival.Passage{}, fmt.Errorf("qdrantarchival: get %s: %w", id, archival.ErrNotFound)
	}
	ps, err := s.getMany(ctx, agentID, []string{id})
	if err != nil {
		return archival.Passage{}, fmt.Errorf("qdrantarchival: get %s: %w", id, err)
	}
	p, ok := ps[id]
	if !ok {
		return archival.Passage{}, fmt.Errorf("qdrantarchival: get %s: %w", id, archival.ErrNotFound)
	}
	return p, nil
}

// getMany returns the passages of agentID among ids (storable strings), by id; missing ones are
// absent.
func (s *Store) getMany(ctx context.Context, agentID string, ids []string) (map[string]archival.Passage, error) {
	keys := make([]passageKey, len(ids))
	for i, id := range ids {
		keys[i] = passageKey{agentID, id}
	}
	got, err := s.read(ctx, keys)
	if err != nil {
		return nil, err
	}
	out := make(map[string]archival.Passage, len(got))
	for k, p := range got {
		out[k.id] = p
	}
	return out, nil
}

// passageKey is a passage's primary key, (agent, id).
type passageKey struct{ agent, id string }

// read returns the passages among keys, whole, in one Get request; missing ones are absent. A
// point whose payload names another passage (which only a hash collision could cause) is absent.
func (s *Store) read(ctx context.Context, keys []passageKey) (map[passageKey]archival.Passage, error) {
	out := make(map[passageKey]archival.Passage, len(keys))
	if len(keys) == 0 {
		return out, nil
	}
	ids := make([]*qdrant.PointId, len(keys))
	for i, k := range keys {
		ids[i] = pointID(k.agent, k.id)
	}
	resp, err := s.points.Get(ctx, &qdrant.GetPoints{CollectionName: s.cfg.Collection, Ids: ids,
		WithPayload: qdrant.NewWithPayload(true), WithVectors: qdrant.NewWithVectors(false)})
	if err != nil {
		return nil, grpcErr(ctx, err)
	}
	want := make(map[passageKey]bool, len(keys))
	for _, k := range keys {
		want[k] = true
	}
	for _, rp := range resp.GetResult() {
		p, err := fromPayload(rp.GetPayload())
		if err != nil {
			return nil, fmt.Errorf("point %s: %w", rp.GetId().GetUuid(), err)
		}
		if k := (passageKey{p.AgentID, p.ID}); want[k] {
			out[k] = p
		}
	}
	return out, nil
}

// Delete removes one passage of an agent and its history, or returns ErrNotFound; when the
// passage had a key, the key's chain is resolved again in the same write (its patches and history
// go in the same outbox entry). Like every write it runs under the agent's lock and goes through
// the outbox (see the package comment).
func (s *Store) Delete(ctx context.Context, agentID, id string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("qdrantarchival: delete %s: %w", id, err)
	}
	if !archival.Storable(agentID) || !archival.Storable(id) {
		return fmt.Errorf("qdrantarchival: delete %s: %w", id, archival.ErrNotFound)
	}
	err := s.write(ctx, []string{agentID}, func() (outbox.Write, error) {
		p, err := s.Get(ctx, agentID, id)
		if err != nil {
			return outbox.Write{}, err
		}
		b := entryBody{Deletes: []string{id}}
		var events []archival.Event
		now := time.Now().Truncate(time.Microsecond)
		change := func(prev, c archival.Passage) {
			if e, ok := archival.Diff(&prev, c, now); ok {
				events = append(events, e)
			}
			b.Patches = append(b.Patches, patch{ID: c.ID, Status: c.Status, SupersededBy: c.SupersededBy, ValidTo: c.ValidTo})
		}
		// No passage stays superseded by it: unkeyed ones are valid again, keyed ones rejoin
		// their chains, resolved again without it (archival.ResolveAfterDelete).
		orphans, err := s.scrollStates(ctx, agentID, fieldSupersededBy, id)
		if err != nil {
			return outbox.Write{}, fmt.Errorf("read what it superseded: %w", err)
		}
		keys := []string{}
		if p.Key != "" {
			keys = append(keys, p.Key)
		}
		for _, o := range orphans {
			if o.Key == "" {
				change(o, archival.Unsupersede(o, id))
			} else if !slices.Contains(keys, o.Key) {
				keys = append(keys, o.Key)
			}
		}
		slices.Sort(keys[min(1, len(keys)):])
		for _, k := range keys {
			members, err := s.chain(ctx, agentID, k)
			if err != nil {
				return outbox.Write{}, fmt.Errorf("read key %s: %w", k, err)
			}
			delete(members, id)
			chain := make([]archival.Passage, 0, len(members))
			for _, m := range members {
				chain = append(chain, m)
			}
			slices.SortFunc(chain, func(a, b archival.Passage) int { return strings.Compare(a.ID, b.ID) })
			for _, c := range archival.ResolveAfterDelete(chain, id) {
				change(members[c.ID], c)
			}
		}
		body, _ := json.Marshal(b)
		return outbox.Write{Entries: []outbox.Entry{{AgentID: agentID, Body: body}}, Events: events,
			ForgetPassages: []outbox.PassageRef{{AgentID: agentID, ID: id}}}, nil
	})
	if err != nil {
		return fmt.Errorf("qdrantarchival: delete %s: %w", id, err)
	}
	return nil
}

// DeleteAgent removes every passage of an agent and their history; an agent with none is not an
// error. Pending entries of the agent are dropped, not applied: the deletion replaces them (so an
// entry Qdrant keeps refusing cannot keep an agent from being deleted).
func (s *Store) DeleteAgent(ctx context.Context, agentID string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("qdrantarchival: delete agent %s: %w", agentID, err)
	}
	if !archival.Storable(agentID) {
		return nil
	}
	err := s.writeNoDrain(ctx, []string{agentID}, func() (outbox.Write, error) {
		// Reading first keeps the intent out of the outbox while Qdrant cannot be reached.
		if _, err := s.Count(ctx, agentID); err != nil {
			return outbox.Write{}, err
		}
		body, _ := json.Marshal(entryBody{DeleteAgent: true})
		return outbox.Write{ForgetAgents: []string{agentID},
			Entries: []outbox.Entry{{AgentID: agentID, Body: body}}}, nil
	})
	if err != nil {
		return fmt.Errorf("qdrantarchival: delete agent %s: %w", agentID, err)
	}
	return nil
}

// Count returns how many passages an agent has (an exact count).
func (s *Store) Count(ctx context.Context, agentID string) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("qdrantarchival: count %s: %w", agentID, err)
	}
	if !archival.Storable(agentID) {
		return 0, nil
	}
	resp, err := s.points.Count(ctx, &qdrant.CountPoints{CollectionName: s.cfg.Collection,
		Filter: &qdrant.Filter{Must: []*qdrant.Condition{agentCondition(agentID)}}, Exact: qdrant.PtrOf(true)})
	if err != nil {
		return 0, fmt.Errorf("qdrantarchival: count %s: %w", agentID, grpcErr(ctx, err))
	}
	return int(resp.GetResult().GetCount()), nil
}

// History returns a passage's events, oldest first, from the outbox's database, or ErrNotFound
// for an unknown passage.
func (s *Store) History(ctx context.Context, agentID, id string) ([]archival.Event, error) {
	if _, err := s.Get(ctx, agentID, id); err != nil {
		return nil, err
	}
	h, err := s.cfg.Outbox.History(ctx, agentID, id)
	if err != nil {
		return nil, fmt.Errorf("qdrantarchival: history of %s: %w", id, err)
	}
	return h, nil
}

var _ archival.KeyTexter = (*Store)(nil)

// keyTextFields are what KeyTexts reads of a passage.
var keyTextFields = qdrant.NewWithPayloadInclude(fieldAgent, fieldID, fieldKey, fieldText, fieldCreatedAt, fieldValidFrom)

// KeyTexts returns the texts of the newest perKey passages of agentID under each of keys, of
// every status, oldest first (archival.KeyTexter): one scroll over the points that match any
// of the keys.
func (s *Store) KeyTexts(ctx context.Context, agentID string, keys []string, perKey int) (map[string][]string, error) {
	if len(keys) == 0 {
		return map[string][]string{}, nil
	}
	req := &qdrant.ScrollPoints{CollectionName: s.cfg.Collection, Limit: qdrant.PtrOf(uint32(256)), WithPayload: keyTextFields,
		WithVectors: qdrant.NewWithVectors(false),
		Filter:      &qdrant.Filter{Must: []*qdrant.Condition{agentCondition(agentID), qdrant.NewMatchKeywords(fieldKey, keys...)}}}
	byKey := map[string][]archival.Passage{}
	for {
		resp, err := s.points.Scroll(ctx, req)
		if err != nil {
			return nil, fmt.Errorf("qdrantarchival: key texts: %w", grpcErr(ctx, err))
		}
		for _, rp := range resp.GetResult() {
			p, err := fromPayload(rp.GetPayload())
			if err != nil {
				return nil, fmt.Errorf("qdrantarchival: key texts: point %s: %w", rp.GetId().GetUuid(), err)
			}
			if p.AgentID == agentID && p.Key != "" {
				byKey[p.Key] = append(byKey[p.Key], p)
			}
		}
		if resp.NextPageOffset == nil {
			break
		}
		req.Offset = resp.NextPageOffset
	}
	out := make(map[string][]string, len(byKey))
	for k, ps := range byKey {
		slices.SortFunc(ps, func(a, b archival.Passage) int {
			if c := a.ValidFrom.Compare(b.ValidFrom); c != 0 {
				return c
			}
			return strings.Compare(a.ID, b.ID)
		})
		for _, p := range ps[max(0, len(ps)-perKey):] {
			out[k] = append(out[k], p.Text)
		}
	}
	return out, nil
}
