-- The archival outbox (package archival/outbox): write intents of an archival backend that lives
-- outside this database (Qdrant), committed here before they are applied there and deleted once
-- applied. Pending rows are replayed at start-up. History events go to passage_history (0002).
CREATE TABLE archival_outbox (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    agent_id   TEXT NOT NULL,
    body       BLOB NOT NULL,              -- the backend's encoded operations
    created_at INTEGER NOT NULL            -- unix nanoseconds
) STRICT;
CREATE INDEX archival_outbox_agent ON archival_outbox (agent_id, seq);
