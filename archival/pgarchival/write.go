package pgarchival

import (
	"cmp"
	"context"
	"encoding/json"
	"hash/fnv"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/pgvector/pgvector-go"

	"github.com/memsvc/memsvc/archival"
	"github.com/memsvc/memsvc/archival/pghistory"
)

// pkey is a passage's primary key, (agent, id); akey names one key of one agent.
type (
	pkey struct{ agent, id string }
	akey struct{ agent, key string }
)

// write stores validated rows in one transaction of four round trips after BEGIN:
//
//  1. Lock the batch's agents (lockAgents) and read the current state of the batch's passages.
//  2. Write the last version of each passage (one INSERT ... SELECT FROM unnest ... ON CONFLICT),
//     then read the passages of every key the batch touches (the keys of the new rows and of the
//     rows they replace).
//  3. Store what archival.ResolveKey changes in those chains, and append the history: archival.Diff
//     of every write in batch order (so a passage given twice gets both events, as memarchival
//     writes them one by one), then the key rule's, in order of the keys' first touch.
//  4. COMMIT.
//
// Holding the agents' locks from the first statement, no other writer of this package (in any
// process) changes their passages in between, and each statement of READ COMMITTED reads what
// the writers before it committed, so the chains read in 2 are the ones the rule must resolve.
func (s *Store) write(ctx context.Context, rows []archival.Passage, now time.Time) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx) //nolint:errcheck // after Commit it is a no-op; on failure the first error is returned
	if _, err := tx.Exec(ctx, lockAgentsSQL, lockKeys(agentsOf(lastOfEach(rows)))); err != nil {
		return err
	}
	if err := s.writeLocked(ctx, tx, rows, now); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// writeLocked is write's work inside tx, whose caller holds the write locks of every agent of rows.
func (s *Store) writeLocked(ctx context.Context, tx pgx.Tx, rows []archival.Passage, now time.Time) error {
	final := lastOfEach(rows)
	state := make(map[pkey]*archival.Passage, len(final))
	b := &pgx.Batch{}
	agents, ids := make([]string, len(final)), make([]string, len(final))
	for i, p := range final {
		agents[i], ids[i] = p.AgentID, p.ID
	}
	b.Queue(`SELECT `+stateColumns+` FROM passages WHERE (agent_id, id) IN
		(SELECT * FROM unnest($1::text[], $2::text[]))`, agents, ids).Query(func(rows pgx.Rows) error {
		return readStates(rows, func(p archival.Passage) { state[pkey{p.AgentID, p.ID}] = &p })
	})
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return err
	}

	// The history of the batch's own writes, in order, and the keys they touch.
	var events []archival.Event
	var keys []akey
	touched := map[akey]bool{}
	touch := func(agent, key string) {
		if k := (akey{agent, key}); key != "" && !touched[k] {
			touched[k] = true
			keys = append(keys, k)
		}
	}
	for _, p := range rows {
		old := state[pkey{p.AgentID, p.ID}]
		if e, ok := archival.Diff(old, p, now); ok {
			events = append(events, e)
		}
		touch(p.AgentID, p.Key)
		if old != nil {
			touch(old.AgentID, old.Key)
		}
		state[pkey{p.AgentID, p.ID}] = &p
	}

	chains := make(map[akey][]archival.Passage, len(keys))
	b = &pgx.Batch{}
	b.Queue(upsertSQL, upsertArgs(final)...)
	if len(keys) > 0 {
		kagents, knames := make([]string, len(keys)), make([]string, len(keys))
		for i, k := range keys {
			kagents[i], knames[i] = k.agent, k.key
		}
		b.Queue(`SELECT `+stateColumns+` FROM passages WHERE (agent_id, key) IN
			(SELECT * FROM unnest($1::text[], $2::text[]))`, kagents, knames).Query(func(rows pgx.Rows) error {
			return readStates(rows, func(p archival.Passage) {
				k := akey{p.AgentID, p.Key}
				chains[k] = append(chains[k], p)
			})
		})
	}
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return err
	}

	var changed []archival.Passage
	for _, k := range keys {
		chain := chains[k]
		for _, c := range archival.ResolveKey(chain) {
			i := slices.IndexFunc(chain, func(p archival.Passage) bool { return p.ID == c.ID })
			if e, ok := archival.Diff(&chain[i], c, now); ok {
				events = append(events, e)
			}
			changed = append(changed, c)
		}
	}
	b = &pgx.Batch{}
	if len(changed) > 0 {
		b.Queue(resolveSQL, resolveArgs(changed)...)
	}
	if len(events) > 0 {
		pghistory.Queue(b, events)
	}
	if b.Len() > 0 {
		return tx.SendBatch(ctx, b).Close()
	}
	return nil
}

// stateColumns are what the key rule and the history read of a passage (readStates scans them);
// the key rule weighs the source's authority.
const stateColumns = `agent_id, id, key, status, superseded_by, possibly_superseded_by, confidence,
	created_at, valid_from, valid_to, source`

func readStates(rows pgx.Rows, fn func(archival.Passage)) error {
	for rows.Next() {
		var p archival.Passage
		var status, source string
		if err := rows.Scan(&p.AgentID, &p.ID, &p.Key, &status, &p.SupersededBy, &p.PossiblySupersededBy,
			&p.Confidence, &p.CreatedAt, &p.ValidFrom, &p.ValidTo, &source); err != nil {
			return err
		}
		p.Status, p.Source = archival.Status(status), archival.Source(source)
		fn(p)
	}
	return rows.Err()
}

// lastOfEach keeps the last passage of each (agent, id), sorted by (agent, id): one INSERT may
// not touch a row twice.
func lastOfEach(ps []archival.Passage) []archival.Passage {
	last := make(map[pkey]int, len(ps))
	for i, p := range ps {
		last[pkey{p.AgentID, p.ID}] = i
	}
	out := make([]archival.Passage, 0, len(last))
	for i, p := range ps {
		if last[pkey{p.AgentID, p.ID}] == i {
			out = append(out, p)
		}
	}
	slices.SortFunc(out, func(a, b archival.Passage) int {
		return cmp.Or(cmp.Compare(a.AgentID, b.AgentID), cmp.Compare(a.ID, b.ID))
	})
	return out
}

// agentsOf returns the distinct agents of rows sorted by agent.
func agentsOf(rows []archival.Passage) []string {
	var agents []string
	for _, p := range rows {
		if len(agents) == 0 || agents[len(agents)-1] != p.AgentID {
			agents = append(agents, p.AgentID)
		}
	}
	return agents
}

// lockAgentsSQL takes the write locks of agents, transaction-scoped advisory locks on the keys
// $1 (lockKeys). Every write of this package takes them first in its transaction, so writers of
// one agent run one after the other, in this process and in every other sharing the database,
// and, taking their locks in one order, never deadlock. An advisory lock exists whether or not
// the agent has rows yet (a row lock on archival_stats, used before, did not: a writer that found
// the row just deleted by DeleteAgent went on unlocked).
const lockAgentsSQL = `SELECT pg_advisory_xact_lock(k) FROM unnest($1::bigint[]) AS k`

// lockKeys returns the advisory lock keys of agents, sorted and distinct: FNV-1a 64 of
// "memsvc/pgarchival/" and the agent (hashed keys of two agents may collide; they then share a
// lock, which only serializes them).
func lockKeys(agents []string) []int64 {
	keys := make([]int64, 0, len(agents))
	for _, a := range agents {
		h := fnv.New64a()
		h.Write([]byte("memsvc/pgarchival/" + a))
		keys = append(keys, int64(h.Sum64()))
	}
	slices.Sort(keys)
	return slices.Compact(keys)
}

// upsertSQL writes a batch of rows passed as parallel arrays, replacing every column on conflict.
// Tags travel as JSON arrays (a text[] per row cannot), metadata as JSON or NULL.
const upsertSQL = `INSERT INTO passages AS p (agent_id, id, text, embedding, created_at, valid_from,
	valid_to, status, supersedes, superseded_by, key, source, tags, metadata, possibly_superseded_by,
	confidence, context)
SELECT r.agent_id, r.id, r.text, r.embedding, r.created_at, r.valid_from, r.valid_to, r.status,
	r.supersedes, r.superseded_by, r.key, r.source,
	ARRAY(SELECT jsonb_array_elements_text(r.tags::jsonb)), r.metadata::jsonb, r.possibly_superseded_by,
	r.confidence, r.context
FROM unnest($1::text[], $2::text[], $3::text[], $4::vector[], $5::timestamptz[], $6::timestamptz[],
	$7::timestamptz[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[],
	$14::text[], $15::text[], $16::float8[], $17::text[]) WITH ORDINALITY AS r(agent_id, id, text, embedding,
	created_at, valid_from, valid_to, status, supersedes, superseded_by, key, source, tags, metadata,
	possibly_superseded_by, confidence, context, ord)
ORDER BY r.ord
ON CONFLICT (agent_id, id) DO UPDATE SET text = excluded.text, embedding = excluded.embedding,
	created_at = excluded.created_at, valid_from = excluded.valid_from, valid_to = excluded.valid_to,
	status = excluded.status, supersedes = excluded.supersedes, superseded_by = excluded.superseded_by,
	key = excluded.key, source = excluded.source, tags = excluded.tags, metadata = excluded.metadata,
	possibly_superseded_by = excluded.possibly_superseded_by, confidence = excluded.confidence,
	context = excluded.context`

// upsertArgs returns the parallel arrays of upsertSQL. The rows are validated, so encoding the
// tags and metadata as JSON cannot fail.
func upsertArgs(rows []archival.Passage) []any {
	n := len(rows)
	var (
		agents, ids, texts, statuses = make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		contexts                     = make([]string, n)
		supersedes, supersededBy     = make([]string, n), make([]string, n)
		keys, sources, tags          = make([]string, n), make([]string, n), make([]string, n)
		possiblyBy                   = make([]string, n)
		confidence                   = make([]float64, n)
		metadata                     = make([]*string, n)
		vectors                      = make([]pgvector.Vector, n)
		created, validFrom           = make([]time.Time, n), make([]time.Time, n)
		validTo                      = make([]*time.Time, n)
	)
	for i, p := range rows {
		agents[i], ids[i], texts[i], statuses[i] = p.AgentID, p.ID, p.Text, string(p.Status)
		contexts[i] = p.Context
		supersedes[i], supersededBy[i], keys[i], sources[i] = p.Supersedes, p.SupersededBy, p.Key, string(p.Source)
		possiblyBy[i], confidence[i] = p.PossiblySupersededBy, p.Confidence
		vectors[i] = pgvector.NewVector(p.Vector)
		created[i], validFrom[i], validTo[i] = p.CreatedAt, p.ValidFrom, p.ValidTo
		tags[i] = "[]"
		if len(p.Tags) > 0 {
			t, _ := json.Marshal(p.Tags)
			tags[i] = string(t)
		}
		if len(p.Metadata) > 0 {
			m, _ := json.Marshal(p.Metadata)
			metadata[i] = new(string(m))
		}
	}
	return []any{agents, ids, texts, vectors, created, validFrom, validTo, statuses, supersedes,
		supersededBy, keys, sources, tags, metadata, possiblyBy, confidence, contexts}
}

// resolveSQL stores the key rule's changes: status, superseded_by and valid_to.
const resolveSQL = `UPDATE passages AS p SET status = c.status, superseded_by = c.superseded_by, valid_to = c.valid_to
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[])
	AS c(agent_id, id, status, superseded_by, valid_to)
WHERE p.agent_id = c.agent_id AND p.id = c.id`

func resolveArgs(changed []archival.Passage) []any {
	n := len(changed)
	agents, ids, statuses, by := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	validTo := make([]*time.Time, n)
	for i, c := range changed {
		agents[i], ids[i], statuses[i], by[i], validTo[i] = c.AgentID, c.ID, string(c.Status), c.SupersededBy, c.ValidTo
	}
	return []any{agents, ids, statuses, by, validTo}
}
