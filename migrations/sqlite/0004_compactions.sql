-- Compaction jobs (package compaction). The pager evicts synchronously and, in the same
-- transaction, inserts a queued compaction; the scheduler hands compactions to the job queue
-- (River, whose own tables rivermigrate creates), and a job folds the evicted span into the
-- running summary.

-- Provenance and idempotency of summaries: a summary made by a compaction names it, and one
-- compaction makes at most one summary (the unique index), however often its job runs.
ALTER TABLE summaries ADD COLUMN compaction_id TEXT NOT NULL DEFAULT '';
ALTER TABLE summaries ADD COLUMN status TEXT NOT NULL DEFAULT 'valid';      -- valid | stale
ALTER TABLE summaries ADD COLUMN stale_cause TEXT NOT NULL DEFAULT '';
ALTER TABLE summaries ADD COLUMN source_passage_ids TEXT NOT NULL DEFAULT '[]'; -- JSON array
CREATE UNIQUE INDEX summaries_compaction ON summaries (compaction_id) WHERE compaction_id <> '';

CREATE TABLE compactions (
    id            TEXT PRIMARY KEY,
    agent_id      TEXT NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
    reason        TEXT NOT NULL,                -- evicted | requested
    status        TEXT NOT NULL,                -- queued | running | succeeded | failed
    from_seq      INTEGER NOT NULL,
    through_seq   INTEGER NOT NULL,
    summary_id    TEXT NOT NULL DEFAULT '',
    covered_by    TEXT NOT NULL DEFAULT '',     -- the compaction whose summary also covered this span
    tokens_in     INTEGER NOT NULL DEFAULT 0,
    tokens_out    INTEGER NOT NULL DEFAULT 0,
    retention     REAL,                         -- share of pinned facts kept; NULL until it ran
    missing_facts TEXT NOT NULL DEFAULT '[]',   -- JSON array: facts written to archival verbatim
    attempts      INTEGER NOT NULL DEFAULT 0,
    error         TEXT NOT NULL DEFAULT '',
    generation    INTEGER NOT NULL DEFAULT 0,   -- times handed to the job queue; 0: not yet
    lease_until   INTEGER,                      -- unix ns; while dispatched or running
    vfloor        REAL NOT NULL DEFAULT 0,      -- the scheduler's virtual-time floor at dispatch
    created_at    INTEGER NOT NULL,
    started_at    INTEGER,
    finished_at   INTEGER
) STRICT;
CREATE INDEX compactions_agent ON compactions (agent_id, created_at);
CREATE INDEX compactions_open ON compactions (created_at) WHERE status IN ('queued', 'running');

-- Each agent's compaction account: virtual time (tokens consumed, CFS-style) and the tokens of
-- the current budget period.
CREATE TABLE compaction_accounts (
    agent_id      TEXT PRIMARY KEY REFERENCES agents(id) ON DELETE CASCADE,
    vruntime      REAL NOT NULL DEFAULT 0,
    period_start  INTEGER NOT NULL DEFAULT 0,   -- unix ns
    period_tokens INTEGER NOT NULL DEFAULT 0,
    tokens_total  INTEGER NOT NULL DEFAULT 0
) STRICT;

-- The scheduler's virtual-time floor (CFS min_vruntime): never decreases.
CREATE TABLE compaction_clock (
    id     INTEGER PRIMARY KEY CHECK (id = 1),
    vfloor REAL NOT NULL
) STRICT;
INSERT INTO compaction_clock (id, vfloor) VALUES (1, 0);
