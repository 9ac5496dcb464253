-- Validity: possible supersessions found without a key, and every passage's history.

ALTER TABLE passages ADD COLUMN possibly_superseded_by TEXT NOT NULL DEFAULT '';
ALTER TABLE passages ADD COLUMN confidence REAL NOT NULL DEFAULT 0;

CREATE TABLE passage_history (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    agent_id      TEXT NOT NULL,
    passage_id    TEXT NOT NULL,
    at            INTEGER NOT NULL,          -- unix nanoseconds
    action        TEXT NOT NULL,
    from_status   TEXT NOT NULL DEFAULT '',
    to_status     TEXT NOT NULL,
    superseded_by TEXT NOT NULL DEFAULT '',
    cause         TEXT NOT NULL DEFAULT '',
    confidence    REAL NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX passage_history_passage ON passage_history (agent_id, passage_id, seq);
