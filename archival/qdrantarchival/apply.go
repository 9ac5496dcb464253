package qdrantarchival

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/qdrant/go-client/qdrant"

	"github.com/memsvc/memsvc/archival"
	"github.com/memsvc/memsvc/archival/outbox"
)

// entryBody is one agent's operations as the outbox keeps them (JSON). Applying it is idempotent:
// whole points, whole payloads, absolute validity values and deletions. An upsert uses the write
// fields (Upserts, Overwrites, Patches), a delete the delete fields (Deletes, DeleteAgent) and,
// for the key rule after a deletion, Patches; they are applied in the order of the fields.
type entryBody struct {
	// Upserts are written whole (vectors and payload).
	Upserts []record `json:"upserts,omitempty"`
	// Overwrites replace the payload of points whose text and vector are unchanged, such as an
	// invalidation or a restore.
	Overwrites []record `json:"overwrites,omitempty"`
	// Patches are the key rule's changes to other passages of a key.
	Patches []patch `json:"patches,omitempty"`
	// Deletes are passage ids; DeleteAgent deletes every point of the agent.
	Deletes     []string `json:"deletes,omitempty"`
	DeleteAgent bool     `json:"delete_agent,omitempty"`
}

// record is a whole passage, vector included.
type record struct {
	archival.Passage
	Vec []float32 `json:"vector"`
}

func toRecord(p archival.Passage) record { return record{Passage: p, Vec: p.Vector} }

func (r record) passage() archival.Passage {
	p := r.Passage
	p.Vector = r.Vec
	return p
}

// patch is the key rule's change of one passage's validity.
type patch struct {
	ID           string          `json:"id"`
	Status       archival.Status `json:"status"`
	SupersededBy string          `json:"superseded_by,omitempty"`
	ValidTo      *time.Time      `json:"valid_to,omitempty"`
}

// operations returns the UpdateBatch operations of one agent's entry.
func (s *Store) operations(agentID string, b entryBody) []*qdrant.PointsUpdateOperation {
	var ops []*qdrant.PointsUpdateOperation
	if len(b.Upserts) > 0 {
		points := make([]*qdrant.PointStruct, len(b.Upserts))
		for i, r := range b.Upserts {
			points[i] = s.point(r.passage())
		}
		ops = append(ops, qdrant.NewPointsUpdateUpsert(&qdrant.PointsUpdateOperation_PointStructList{Points: points}))
	}
	for _, r := range b.Overwrites {
		ops = append(ops, qdrant.NewPointsUpdateOverwritePayload(&qdrant.PointsUpdateOperation_OverwritePayload{
			Payload: payload(r.passage()), PointsSelector: qdrant.NewPointsSelector(pointID(agentID, r.ID)),
		}))
	}
	for _, c := range b.Patches {
		p := archival.Passage{Status: c.Status, SupersededBy: c.SupersededBy, ValidTo: c.ValidTo}
		ops = append(ops, qdrant.NewPointsUpdateSetPayload(&qdrant.PointsUpdateOperation_SetPayload{
			Payload: validityPayload(p), PointsSelector: qdrant.NewPointsSelector(pointID(agentID, c.ID)),
		}))
	}
	if len(b.Deletes) > 0 {
		ids := make([]*qdrant.PointId, len(b.Deletes))
		for i, id := range b.Deletes {
			ids[i] = pointID(agentID, id)
		}
		ops = append(ops, qdrant.NewPointsUpdateDeletePoints(&qdrant.PointsUpdateOperation_DeletePoints{
			Points: qdrant.NewPointsSelector(ids...),
		}))
	}
	if b.DeleteAgent {
		ops = append(ops, qdrant.NewPointsUpdateDeletePoints(&qdrant.PointsUpdateOperation_DeletePoints{
			Points: qdrant.NewPointsSelectorFilter(&qdrant.Filter{Must: []*qdrant.Condition{agentCondition(agentID)}}),
		}))
	}
	return ops
}

// point is a passage as a Qdrant point: its dense vector, its lexical vector (of its text and
// context; none when they have no term) and its whole payload.
func (s *Store) point(p archival.Passage) *qdrant.PointStruct {
	vectors := map[string]*qdrant.Vector{denseVector: qdrant.NewVectorDense(p.Vector)}
	if idx, vals := docSparse(p.LexicalText(), s.cfg.AvgDocLen); len(idx) > 0 {
		vectors[lexicalVector] = qdrant.NewVectorSparse(idx, vals)
	}
	return &qdrant.PointStruct{Id: pointID(p.AgentID, p.ID), Payload: payload(p), Vectors: qdrant.NewVectorsMap(vectors)}
}

// apply writes one outbox entry to Qdrant in one ordered UpdateBatch, waiting until it is applied
// (wait=true), so that reads which follow see it. It runs with ctx's values but not its
// cancellation, bounded by WriteTimeout: an intent already committed is carried through.
func (s *Store) apply(ctx context.Context, e outbox.Entry) error {
	var b entryBody
	if err := json.Unmarshal(e.Body, &b); err != nil {
		return fmt.Errorf("decode outbox entry %d: %w", e.Seq, err)
	}
	ops := s.operations(e.AgentID, b)
	if len(ops) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.WriteTimeout)
	defer cancel()
	resp, err := s.points.UpdateBatch(ctx, &qdrant.UpdateBatchPoints{
		CollectionName: s.cfg.Collection, Wait: qdrant.PtrOf(true), Operations: ops,
	})
	if err != nil {
		return fmt.Errorf("apply outbox entry %d: %w", e.Seq, grpcErr(ctx, err))
	}
	for _, r := range resp.GetResult() {
		if st := r.GetStatus(); st != qdrant.UpdateStatus_Completed {
			return fmt.Errorf("apply outbox entry %d: update %v: %w", e.Seq, st, archival.ErrUnavailable)
		}
	}
	return nil
}

// applyPending applies the pending entries of the agents sess locks, oldest first, deleting each
// once applied, and returns how many it applied. An entry Qdrant refuses as malformed is dropped
// and logged (see the package comment).
func (s *Store) applyPending(ctx context.Context, sess outbox.Session) (int, error) {
	pending, err := sess.Pending(ctx)
	if err != nil {
		return 0, err
	}
	for i, e := range pending {
		if err := s.apply(ctx, e); err != nil {
			if !permanent(err) {
				return i, err
			}
			s.cfg.Logger.Error("qdrant archival: dropping an outbox entry Qdrant refuses", "seq", e.Seq, "agent", e.AgentID, "err", err)
		}
		if err := sess.Done(ctx, e.Seq); err != nil {
			return i, err
		}
	}
	return len(pending), nil
}

// Drain applies every pending outbox entry, each under its agent's lock, and returns how many it
// applied. New drains before it returns; Start drains periodically.
func (s *Store) Drain(ctx context.Context) (int, error) {
	total := 0
	for {
		pending, err := s.cfg.Outbox.Pending(ctx, 100)
		if err != nil || len(pending) == 0 {
			return total, err
		}
		seen := map[string]bool{}
		progress := 0
		for _, e := range pending {
			if seen[e.AgentID] {
				continue
			}
			seen[e.AgentID] = true
			n, err := s.drainAgent(ctx, e.AgentID)
			total += n
			progress += n
			if err != nil {
				return total, err
			}
		}
		if progress == 0 {
			return total, nil // the entries were applied by their agents' writers meanwhile
		}
	}
}

func (s *Store) drainAgent(ctx context.Context, agentID string) (int, error) {
	sess, err := s.cfg.Outbox.Lock(ctx, []string{agentID})
	if err != nil {
		return 0, err
	}
	defer sess.Close()
	return s.applyPending(ctx, sess)
}

// Start drains the outbox every DrainInterval until Stop, applying the writes whose application
// failed (they are also applied by their agent's next write).
func (s *Store) Start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cancel != nil {
		return errors.New("qdrantarchival: already started")
	}
	ctx, s.cancel = context.WithCancel(context.WithoutCancel(ctx))
	s.done = make(chan struct{})
	go func() {
		defer close(s.done)
		t := time.NewTicker(s.cfg.DrainInterval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if n, err := s.Drain(ctx); err != nil && ctx.Err() == nil {
					s.cfg.Logger.Warn("qdrant archival: drain the outbox", "applied", n, "err", err)
				} else if n > 0 {
					s.cfg.Logger.Info("qdrant archival: applied pending writes", "entries", n)
				}
			}
		}
	}()
	return nil
}

// Stop ends the periodic drain and waits for it.
func (s *Store) Stop() {
	s.mu.Lock()
	cancel, done := s.cancel, s.done
	s.cancel = nil
	s.mu.Unlock()
	if cancel != nil {
		cancel()
		<-done
	}
}
