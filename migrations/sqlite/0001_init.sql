-- The embedded store's schema: one SQLite file holds agent state and archival memory.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

CREATE TABLE agents (
    id             TEXT PRIMARY KEY,
    name           TEXT NOT NULL,
    system         TEXT NOT NULL,
    context_window INTEGER NOT NULL,
    model          TEXT NOT NULL,
    pager          TEXT NOT NULL,          -- JSON PagerConfig
    tools_in_context INTEGER NOT NULL DEFAULT 1,
    metadata       TEXT,                   -- JSON, NULL when unset
    created_at     INTEGER NOT NULL,       -- unix nanoseconds
    updated_at     INTEGER NOT NULL,
    last_seq       INTEGER NOT NULL DEFAULT 0,
    system_tokens  INTEGER NOT NULL DEFAULT 0,
    blocks_tokens  INTEGER NOT NULL DEFAULT 0,
    message_tokens INTEGER NOT NULL DEFAULT 0,
    in_context     INTEGER NOT NULL DEFAULT 0,
    warned         INTEGER NOT NULL DEFAULT 0,
    summary_id     TEXT NOT NULL DEFAULT '',
    summary_tokens INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE TABLE blocks (
    agent_id    TEXT NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
    label       TEXT NOT NULL,
    value       TEXT NOT NULL,
    lim         INTEGER NOT NULL,
    read_only   INTEGER NOT NULL,
    description TEXT NOT NULL,
    PRIMARY KEY (agent_id, label)
) STRICT;

CREATE TABLE messages (
    rowid        INTEGER PRIMARY KEY,      -- FTS5 content rowid
    id           TEXT NOT NULL UNIQUE,
    agent_id     TEXT NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
    seq          INTEGER NOT NULL,
    role         TEXT NOT NULL,
    content      TEXT NOT NULL,
    name         TEXT NOT NULL DEFAULT '',
    tool_calls   TEXT,                     -- JSON, NULL when none
    tool_call_id TEXT NOT NULL DEFAULT '',
    pinned       INTEGER NOT NULL DEFAULT 0,
    tokens       INTEGER NOT NULL,
    in_context   INTEGER NOT NULL DEFAULT 1,
    created_at   INTEGER NOT NULL,
    vector       BLOB,                     -- little-endian float32, NULL until embedded
    UNIQUE (agent_id, seq)
) STRICT;
CREATE INDEX messages_unembedded ON messages (rowid) WHERE vector IS NULL;

CREATE VIRTUAL TABLE messages_fts USING fts5(content, content='messages', content_rowid='rowid',
    tokenize = 'porter unicode61');
CREATE TRIGGER messages_ai AFTER INSERT ON messages BEGIN
    INSERT INTO messages_fts(rowid, content) VALUES (new.rowid, new.content);
END;
CREATE TRIGGER messages_ad AFTER DELETE ON messages BEGIN
    INSERT INTO messages_fts(messages_fts, rowid, content) VALUES ('delete', old.rowid, old.content);
END;

CREATE TABLE summaries (
    id                 TEXT PRIMARY KEY,
    agent_id           TEXT NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
    text               TEXT NOT NULL,
    tokens             INTEGER NOT NULL,
    from_seq           INTEGER NOT NULL,
    through_seq        INTEGER NOT NULL,
    previous_id        TEXT NOT NULL DEFAULT '',
    source_message_ids TEXT NOT NULL,      -- JSON array
    passage_id         TEXT NOT NULL DEFAULT '',
    created_at         INTEGER NOT NULL
) STRICT;
CREATE INDEX summaries_agent ON summaries (agent_id, created_at);
CREATE INDEX summaries_outbox ON summaries (created_at) WHERE passage_id = '';

-- Archival memory (memarchival). Not tied to agents by a foreign key: archival is its own contract.
CREATE TABLE passages (
    rowid         INTEGER PRIMARY KEY,     -- FTS5 content rowid
    id            TEXT NOT NULL,
    agent_id      TEXT NOT NULL,
    text          TEXT NOT NULL,
    vector        BLOB NOT NULL,           -- little-endian float32
    created_at    INTEGER NOT NULL,        -- unix nanoseconds
    valid_from    INTEGER NOT NULL,
    valid_to      INTEGER,                 -- NULL while valid
    status        TEXT NOT NULL,
    supersedes    TEXT NOT NULL DEFAULT '',
    superseded_by TEXT NOT NULL DEFAULT '',
    key           TEXT NOT NULL DEFAULT '',
    source        TEXT NOT NULL,
    tags          TEXT NOT NULL,           -- JSON array
    metadata      TEXT,                    -- JSON object, NULL when unset
    UNIQUE (agent_id, id)
) STRICT;
CREATE INDEX passages_agent_key ON passages (agent_id, key) WHERE key <> '';

CREATE VIRTUAL TABLE passages_fts USING fts5(text, content='passages', content_rowid='rowid',
    tokenize = 'porter unicode61');
CREATE TRIGGER passages_ai AFTER INSERT ON passages BEGIN
    INSERT INTO passages_fts(rowid, text) VALUES (new.rowid, new.text);
END;
CREATE TRIGGER passages_ad AFTER DELETE ON passages BEGIN
    INSERT INTO passages_fts(passages_fts, rowid, text) VALUES ('delete', old.rowid, old.text);
END;
CREATE TRIGGER passages_au AFTER UPDATE OF text ON passages BEGIN
    INSERT INTO passages_fts(passages_fts, rowid, text) VALUES ('delete', old.rowid, old.text);
    INSERT INTO passages_fts(rowid, text) VALUES (new.rowid, new.text);
END;

CREATE TABLE idempotency (
    key        TEXT PRIMARY KEY,           -- scope + client key
    status     INTEGER NOT NULL,
    body       BLOB NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;
