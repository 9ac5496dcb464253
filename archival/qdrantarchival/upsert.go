package qdrantarchival

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/qdrant/go-client/qdrant"

	"github.com/memsvc/memsvc/archival"
	"github.com/memsvc/memsvc/archival/outbox"
)

// Upsert inserts or replaces passages by (agent, id): every field is replaced, and defaults apply
// as for a new passage (CreatedAt zero: now; ValidFrom zero: CreatedAt; Status "": valid;
// Source "": agent). When a batch holds one passage twice, the later one wins. Under the agents'
// locks it applies the key rule (archival.ResolveKey) to every key the batch touches and records
// the history (archival.Diff), then commits the intent and the history to the outbox and applies
// the intent to Qdrant (see the package comment, which also says what an error after the commit
// means).
//
// The whole batch is validated first; ErrInvalid for an empty id, agent or text, an unknown
// status or source, a time beyond unix nanoseconds, unmarshalable metadata, a non-finite vector
// or confidence, or a string that is not valid UTF-8 or holds NUL; ErrDimensionMismatch for a
// vector whose length is not Dim. On any of these nothing of the batch is stored.
func (s *Store) Upsert(ctx context.Context, ps []archival.Passage) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("qdrantarchival: upsert: %w", err)
	}
	now := time.Now().Truncate(time.Microsecond)
	rows := make([]archival.Passage, 0, len(ps))
	for _, p := range ps {
		p, err := s.prepare(p, now)
		if err != nil {
			return fmt.Errorf("qdrantarchival: upsert %s: %w", p.ID, err)
		}
		rows = append(rows, p)
	}
	if len(rows) == 0 {
		return nil
	}
	var agents []string
	for _, p := range rows {
		if !slices.Contains(agents, p.AgentID) {
			agents = append(agents, p.AgentID)
		}
	}
	if err := s.write(ctx, agents, func() (outbox.Write, error) { return s.plan(ctx, rows, now) }); err != nil {
		return fmt.Errorf("qdrantarchival: upsert: %w", err)
	}
	return nil
}

// Update reads the passages ids of agentID, hands them to fn and writes what it returns, under
// the agent's lock (in-process and, with a PostgreSQL outbox, across replicas) from before the
// read until the write is committed to the outbox (see archival.Store.Update).
func (s *Store) Update(ctx context.Context, agentID string, ids []string, fn func([]*archival.Passage) ([]archival.Passage, error)) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("qdrantarchival: update: %w", err)
	}
	if !archival.Storable(agentID) {
		return fmt.Errorf("qdrantarchival: update: agent id: %w", archival.ErrInvalid)
	}
	err := s.write(ctx, []string{agentID}, func() (outbox.Write, error) {
		var found map[string]archival.Passage
		if len(ids) > 0 {
			var err error
			if found, err = s.getMany(ctx, agentID, ids); err != nil {
				return outbox.Write{}, err
			}
		}
		cur := make([]*archival.Passage, len(ids))
		for i, id := range ids {
			if p, ok := found[id]; ok {
				cur[i] = &p
			}
		}
		out, err := fn(cur)
		if err != nil {
			return outbox.Write{}, err
		}
		now := time.Now().Truncate(time.Microsecond)
		rows := make([]archival.Passage, 0, len(out))
		for _, p := range out {
			if p.AgentID != agentID {
				return outbox.Write{}, fmt.Errorf("passage %s: agent %q is not %q: %w", p.ID, p.AgentID, agentID, archival.ErrInvalid)
			}
			p, err := s.prepare(p, now)
			if err != nil {
				return outbox.Write{}, fmt.Errorf("passage %s: %w", p.ID, err)
			}
			rows = append(rows, p)
		}
		if len(rows) == 0 {
			return outbox.Write{}, errNothing
		}
		return s.plan(ctx, rows, now)
	})
	if errors.Is(err, errNothing) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("qdrantarchival: update: %w", err)
	}
	return nil
}

// errNothing ends an Update whose fn returned nothing to write, before anything is committed.
var errNothing = errors.New("nothing to write")

// prepare validates p and applies the defaults (archival.Prepare), in UTC, with its own tags.
func (s *Store) prepare(p archival.Passage, now time.Time) (archival.Passage, error) {
	p, err := archival.Prepare(p, s.cfg.Dim, now)
	if err != nil {
		return p, err
	}
	p.CreatedAt, p.ValidFrom = p.CreatedAt.UTC(), p.ValidFrom.UTC()
	if p.ValidTo != nil {
		t := p.ValidTo.UTC()
		p.ValidTo = &t
	}
	p.Tags = slices.Clone(p.Tags)
	return p, nil
}

// write runs one write under the locks of agents: it applies their pending entries first (so
// Qdrant holds every earlier write), then plan reads Qdrant and returns the write, which is
// committed to the outbox and applied.
func (s *Store) write(ctx context.Context, agents []string, plan func() (outbox.Write, error)) error {
	return s.locked(ctx, agents, true, plan)
}

// writeNoDrain is write without applying pending entries first, for a write that replaces them.
func (s *Store) writeNoDrain(ctx context.Context, agents []string, plan func() (outbox.Write, error)) error {
	return s.locked(ctx, agents, false, plan)
}

func (s *Store) locked(ctx context.Context, agents []string, drain bool, plan func() (outbox.Write, error)) error {
	sess, err := s.cfg.Outbox.Lock(ctx, agents)
	if err != nil {
		return err
	}
	defer sess.Close()
	if drain {
		if _, err := s.applyPending(ctx, sess); err != nil {
			return fmt.Errorf("apply earlier writes: %w", err)
		}
	}
	w, err := plan()
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	seqs, err := sess.Append(ctx, w)
	if err != nil {
		return err
	}
	if s.cfg.AfterAppend != nil {
		s.cfg.AfterAppend()
	}
	// The intent is durable: carry it through whatever ctx does now. Entries (one per agent) are
	// applied in order until one fails for a reason a retry may cure; those left stay pending.
	ctx = context.WithoutCancel(ctx)
	var done []int64
	var failed error
	for i, e := range w.Entries {
		e.Seq = seqs[i]
		err := s.apply(ctx, e)
		if err != nil && !permanent(err) {
			failed = err
			break
		}
		if err != nil {
			s.cfg.Logger.Error("qdrant archival: Qdrant refused a write; dropping it", "seq", e.Seq, "agent", e.AgentID, "err", err)
			failed = cmp.Or(failed, err)
		}
		done = append(done, e.Seq)
	}
	if err := sess.Done(ctx, done...); err != nil {
		// Applied but still pending: the next drain applies them again, which is harmless.
		s.cfg.Logger.Warn("qdrant archival: mark writes applied", "seqs", done, "err", err)
	}
	return failed
}

// plan works out an upsert of rows: the history of each write (in batch order), the key rule's
// changes for every key the batch touches (in order of first touch), and one outbox entry per
// agent. It reads the passages the batch replaces, whole, and the chains of the keys it touches.
func (s *Store) plan(ctx context.Context, rows []archival.Passage, now time.Time) (outbox.Write, error) {
	final := lastOfEach(rows)
	keys := make([]passageKey, len(final))
	after := make(map[passageKey]*archival.Passage, len(final))
	for i := range final {
		keys[i] = passageKey{final[i].AgentID, final[i].ID}
		after[keys[i]] = &final[i]
	}
	old, err := s.read(ctx, keys)
	if err != nil {
		return outbox.Write{}, fmt.Errorf("read the passages replaced: %w", err)
	}

	var events []archival.Event
	type akey struct{ agent, key string }
	var touched []akey
	touch := func(agent, key string) {
		if k := (akey{agent, key}); key != "" && !slices.Contains(touched, k) {
			touched = append(touched, k)
		}
	}
	state := make(map[passageKey]*archival.Passage, len(old))
	for k, p := range old {
		state[k] = &p
	}
	for _, p := range rows {
		k := passageKey{p.AgentID, p.ID}
		prev := state[k]
		if e, ok := archival.Diff(prev, p, now); ok {
			events = append(events, e)
		}
		touch(p.AgentID, p.Key)
		if prev != nil {
			touch(prev.AgentID, prev.Key)
		}
		state[k] = &p
	}

	patches := map[string][]patch{}
	for _, k := range touched {
		members, err := s.chain(ctx, k.agent, k.key)
		if err != nil {
			return outbox.Write{}, fmt.Errorf("read key %s: %w", k.key, err)
		}
		for _, p := range final {
			if p.AgentID != k.agent {
				continue
			}
			if p.Key == k.key {
				members[p.ID] = p
			} else {
				delete(members, p.ID)
			}
		}
		chain := make([]archival.Passage, 0, len(members))
		for _, p := range members {
			chain = append(chain, p)
		}
		slices.SortFunc(chain, func(a, b archival.Passage) int { return strings.Compare(a.ID, b.ID) })
		for _, c := range archival.ResolveKey(chain) {
			prev := members[c.ID]
			if e, ok := archival.Diff(&prev, c, now); ok {
				events = append(events, e)
			}
			if f := after[passageKey{k.agent, c.ID}]; f != nil {
				f.Status, f.SupersededBy, f.ValidTo = c.Status, c.SupersededBy, c.ValidTo
			} else {
				patches[k.agent] = append(patches[k.agent], patch{ID: c.ID, Status: c.Status, SupersededBy: c.SupersededBy, ValidTo: c.ValidTo})
			}
		}
	}

	var w outbox.Write
	w.Events = events
	bodies := map[string]*entryBody{}
	var order []string
	body := func(agent string) *entryBody {
		if b := bodies[agent]; b != nil {
			return b
		}
		bodies[agent] = &entryBody{}
		order = append(order, agent)
		return bodies[agent]
	}
	for _, p := range final {
		b := body(p.AgentID)
		if o, ok := old[passageKey{p.AgentID, p.ID}]; ok && o.LexicalText() == p.LexicalText() && slices.Equal(o.Vector, p.Vector) {
			b.Overwrites = append(b.Overwrites, toRecord(p))
		} else {
			b.Upserts = append(b.Upserts, toRecord(p))
		}
	}
	for _, agent := range order {
		b := bodies[agent]
		b.Patches = patches[agent]
		enc, err := json.Marshal(b)
		if err != nil {
			return outbox.Write{}, fmt.Errorf("encode the write: %w", err)
		}
		w.Entries = append(w.Entries, outbox.Entry{AgentID: agent, Body: enc})
	}
	return w, nil
}

// lastOfEach keeps the last version of each (agent, id), in order of those last versions.
func lastOfEach(ps []archival.Passage) []archival.Passage {
	last := make(map[passageKey]int, len(ps))
	for i, p := range ps {
		last[passageKey{p.AgentID, p.ID}] = i
	}
	out := make([]archival.Passage, 0, len(last))
	for i, p := range ps {
		if last[passageKey{p.AgentID, p.ID}] == i {
			out = append(out, p)
		}
	}
	return out
}

// chainFields are what the key rule and the history read of a chain's passages (the key rule
// weighs the source's authority).
var chainFields = qdrant.NewWithPayloadInclude(fieldAgent, fieldID, fieldKey, fieldStatus, fieldSupersededBy,
	fieldPossiblyBy, fieldConfidence, fieldCreatedAt, fieldValidFrom, fieldValidTo, fieldSource)

// chain returns the passages of one key of one agent, by id, as Qdrant holds them (the fields
// the key rule and the history read), scrolling through every page.
func (s *Store) chain(ctx context.Context, agentID, key string) (map[string]archival.Passage, error) {
	return s.scrollStates(ctx, agentID, fieldKey, key)
}

// scrollStates returns the passages of one agent whose payload field equals value, by id, as
// Qdrant holds them (the fields the key rule and the history read), scrolling through every page.
func (s *Store) scrollStates(ctx context.Context, agentID, field, value string) (map[string]archival.Passage, error) {
	out := map[string]archival.Passage{}
	req := &qdrant.ScrollPoints{CollectionName: s.cfg.Collection, Limit: qdrant.PtrOf(uint32(256)), WithPayload: chainFields,
		WithVectors: qdrant.NewWithVectors(false),
		Filter:      &qdrant.Filter{Must: []*qdrant.Condition{agentCondition(agentID), qdrant.NewMatchKeyword(field, value)}}}
	for {
		resp, err := s.points.Scroll(ctx, req)
		if err != nil {
			return nil, grpcErr(ctx, err)
		}
		for _, rp := range resp.GetResult() {
			p, err := fromPayload(rp.GetPayload())
			if err != nil {
				return nil, fmt.Errorf("point %s: %w", rp.GetId().GetUuid(), err)
			}
			if p.AgentID == agentID {
				out[p.ID] = p
			}
		}
		if resp.NextPageOffset == nil {
			return out, nil
		}
		req.Offset = resp.NextPageOffset
	}
}
