-- The archival outbox (package archival/outbox): write intents of an archival backend that lives
-- outside this database (Qdrant), committed here before they are applied there and deleted once
-- applied. Pending rows are replayed at start-up. History events go to passage_history (0002).
-- Writers of one agent hold its advisory lock while they append, so seq orders each agent's rows.
CREATE TABLE archival_outbox (
    seq        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    agent_id   text NOT NULL,
    body       bytea NOT NULL,             -- the backend's encoded operations
    created_at timestamptz NOT NULL
);
CREATE INDEX archival_outbox_agent ON archival_outbox (agent_id, seq);
