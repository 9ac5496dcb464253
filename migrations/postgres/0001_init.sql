-- memsvc's PostgreSQL schema: all state, so that replicas are stateless.
-- {{dim}} is replaced with the configured embedder's dimension when the migration is applied.

CREATE EXTENSION IF NOT EXISTS vector;

CREATE TABLE meta (
    key   text PRIMARY KEY,
    value text NOT NULL
);
INSERT INTO meta (key, value) VALUES ('vector_dim', '{{dim}}');

CREATE TABLE agents (
    id               text PRIMARY KEY,
    name             text NOT NULL,
    system           text NOT NULL,
    context_window   integer NOT NULL,
    model            text NOT NULL,
    pager            jsonb NOT NULL,
    tools_in_context boolean NOT NULL DEFAULT true,
    metadata         jsonb,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    last_seq         bigint NOT NULL DEFAULT 0,
    system_tokens    integer NOT NULL DEFAULT 0,
    blocks_tokens    integer NOT NULL DEFAULT 0,
    message_tokens   integer NOT NULL DEFAULT 0,
    in_context       integer NOT NULL DEFAULT 0,
    warned           boolean NOT NULL DEFAULT false,
    summary_id       text NOT NULL DEFAULT '',
    summary_tokens   integer NOT NULL DEFAULT 0
);

CREATE TABLE blocks (
    agent_id    text NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    label       text NOT NULL,
    value       text NOT NULL,
    lim         integer NOT NULL,
    read_only   boolean NOT NULL,
    description text NOT NULL,
    PRIMARY KEY (agent_id, label)
);

CREATE TABLE messages (
    id           text PRIMARY KEY,
    agent_id     text NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    seq          bigint NOT NULL,
    role         text NOT NULL,
    content      text NOT NULL,
    name         text NOT NULL DEFAULT '',
    tool_calls   jsonb,
    tool_call_id text NOT NULL DEFAULT '',
    pinned       boolean NOT NULL DEFAULT false,
    tokens       integer NOT NULL,
    in_context   boolean NOT NULL DEFAULT true,
    created_at   timestamptz NOT NULL,
    embedding    vector({{dim}}),
    tsv          tsvector GENERATED ALWAYS AS (to_tsvector('english', content)) STORED,
    UNIQUE (agent_id, seq)
);
CREATE INDEX messages_tsv ON messages USING gin (tsv);
CREATE INDEX messages_in_context ON messages (agent_id, seq) WHERE in_context;
CREATE INDEX messages_unembedded ON messages (created_at) WHERE embedding IS NULL;

CREATE TABLE summaries (
    id                 text PRIMARY KEY,
    agent_id           text NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    text               text NOT NULL,
    tokens             integer NOT NULL,
    from_seq           bigint NOT NULL,
    through_seq        bigint NOT NULL,
    previous_id        text NOT NULL DEFAULT '',
    source_message_ids text[] NOT NULL,
    passage_id         text NOT NULL DEFAULT '',
    created_at         timestamptz NOT NULL
);
CREATE INDEX summaries_agent ON summaries (agent_id, created_at);
CREATE INDEX summaries_outbox ON summaries (created_at) WHERE passage_id = '';

-- Archival memory (pgarchival): not tied to agents by a foreign key, as archival is its own contract.
CREATE TABLE passages (
    agent_id      text NOT NULL,
    id            text NOT NULL,
    text          text NOT NULL,
    embedding     vector({{dim}}) NOT NULL,
    created_at    timestamptz NOT NULL,
    valid_from    timestamptz NOT NULL,
    valid_to      timestamptz,
    status        text NOT NULL,
    supersedes    text NOT NULL DEFAULT '',
    superseded_by text NOT NULL DEFAULT '',
    key           text NOT NULL DEFAULT '',
    source        text NOT NULL,
    tags          text[] NOT NULL DEFAULT '{}',
    metadata      jsonb,
    tsv           tsvector GENERATED ALWAYS AS (to_tsvector('english', text)) STORED,
    PRIMARY KEY (agent_id, id)
);
CREATE INDEX passages_embedding ON passages USING hnsw (embedding vector_cosine_ops);
CREATE INDEX passages_tsv ON passages USING gin (tsv);
CREATE INDEX passages_key ON passages (agent_id, key) WHERE key <> '';

CREATE TABLE idempotency (
    key        text PRIMARY KEY,
    status     integer NOT NULL,
    body       bytea NOT NULL,
    created_at timestamptz NOT NULL
);
