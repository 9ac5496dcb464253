-- Compaction jobs (package compaction). The pager evicts synchronously and, in the same
-- transaction, inserts a queued compaction; the scheduler hands compactions to the job queue
-- (River, whose own tables rivermigrate creates), and a job folds the evicted span into the
-- running summary.

-- Provenance and idempotency of summaries: a summary made by a compaction names it, and one
-- compaction makes at most one summary (the unique index), however often its job runs.
ALTER TABLE summaries ADD COLUMN compaction_id text NOT NULL DEFAULT '';
ALTER TABLE summaries ADD COLUMN status text NOT NULL DEFAULT 'valid';       -- valid | stale
ALTER TABLE summaries ADD COLUMN stale_cause text NOT NULL DEFAULT '';
ALTER TABLE summaries ADD COLUMN source_passage_ids text[] NOT NULL DEFAULT '{}';
CREATE UNIQUE INDEX summaries_compaction ON summaries (compaction_id) WHERE compaction_id <> '';

CREATE TABLE compactions (
    id            text PRIMARY KEY,
    agent_id      text NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    reason        text NOT NULL,                -- evicted | requested
    status        text NOT NULL,                -- queued | running | succeeded | failed
    from_seq      bigint NOT NULL,
    through_seq   bigint NOT NULL,
    summary_id    text NOT NULL DEFAULT '',
    covered_by    text NOT NULL DEFAULT '',     -- the compaction whose summary also covered this span
    tokens_in     integer NOT NULL DEFAULT 0,
    tokens_out    integer NOT NULL DEFAULT 0,
    retention     double precision,             -- share of pinned facts kept; NULL until it ran
    missing_facts text[] NOT NULL DEFAULT '{}', -- facts written to archival verbatim
    attempts      integer NOT NULL DEFAULT 0,
    error         text NOT NULL DEFAULT '',
    generation    integer NOT NULL DEFAULT 0,   -- times handed to the job queue; 0: not yet
    lease_until   timestamptz,                  -- while dispatched or running
    vfloor        double precision NOT NULL DEFAULT 0, -- the scheduler's virtual-time floor at dispatch
    created_at    timestamptz NOT NULL,
    started_at    timestamptz,
    finished_at   timestamptz
);
CREATE INDEX compactions_agent ON compactions (agent_id, created_at);
CREATE INDEX compactions_open ON compactions (created_at) WHERE status IN ('queued', 'running');

-- Each agent's compaction account: virtual time (tokens consumed, CFS-style) and the tokens of
-- the current budget period.
CREATE TABLE compaction_accounts (
    agent_id      text PRIMARY KEY REFERENCES agents (id) ON DELETE CASCADE,
    vruntime      double precision NOT NULL DEFAULT 0,
    period_start  timestamptz NOT NULL DEFAULT 'epoch',
    period_tokens bigint NOT NULL DEFAULT 0,
    tokens_total  bigint NOT NULL DEFAULT 0
);

-- The scheduler's virtual-time floor (CFS min_vruntime): never decreases.
CREATE TABLE compaction_clock (
    id     integer PRIMARY KEY CHECK (id = 1),
    vfloor double precision NOT NULL
);
INSERT INTO compaction_clock (id, vfloor) VALUES (1, 0);
