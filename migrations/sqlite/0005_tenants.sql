-- Trust boundaries: agents belong to tenants; API keys (hashed) map to tenants; deny-first
-- permissions per agent and per tenant; shared core memory blocks, attached by several agents of
-- one tenant; and the history of every block write, for undo.

ALTER TABLE agents ADD COLUMN tenant TEXT NOT NULL DEFAULT 'default';
ALTER TABLE agents ADD COLUMN permissions TEXT;          -- JSON Permissions, NULL for none
CREATE INDEX agents_tenant ON agents (tenant, id);

CREATE TABLE api_keys (
    id         TEXT PRIMARY KEY,
    tenant     TEXT NOT NULL,
    admin      INTEGER NOT NULL DEFAULT 0,
    name       TEXT NOT NULL DEFAULT '',
    hash       BLOB NOT NULL,                 -- SHA-256 of the token
    created_at INTEGER NOT NULL,              -- unix nanoseconds
    revoked_at INTEGER                        -- NULL while the key works
) STRICT;
CREATE INDEX api_keys_tenant ON api_keys (tenant, id);

CREATE TABLE tenant_policies (
    tenant      TEXT PRIMARY KEY,
    permissions TEXT NOT NULL,                -- JSON Permissions
    updated_at  INTEGER NOT NULL
) STRICT;

CREATE TABLE shared_blocks (
    id          TEXT PRIMARY KEY,
    tenant      TEXT NOT NULL,
    label       TEXT NOT NULL,
    value       TEXT NOT NULL,
    lim         INTEGER NOT NULL,
    description TEXT NOT NULL,
    version     INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
) STRICT;

-- An attachment is a row of blocks with shared_id set: its value, lim and description columns are
-- unused (the shared block's count), read_only and copy_on_write are the attachment's own.
ALTER TABLE blocks ADD COLUMN shared_id TEXT;            -- NULL for the agent's own block
ALTER TABLE blocks ADD COLUMN copy_on_write INTEGER NOT NULL DEFAULT 0;
CREATE INDEX blocks_shared ON blocks (shared_id) WHERE shared_id IS NOT NULL;

CREATE TABLE block_history (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    owner        TEXT NOT NULL,               -- the shared block's ID, or the agent's for its own block
    label        TEXT NOT NULL,
    shared_id    TEXT NOT NULL DEFAULT '',
    agent_id     TEXT NOT NULL DEFAULT '',
    action       TEXT NOT NULL,
    value_before TEXT NOT NULL,
    value_after  TEXT NOT NULL,
    undoes       INTEGER NOT NULL DEFAULT 0,
    cause        TEXT NOT NULL DEFAULT '',
    at           INTEGER NOT NULL             -- unix nanoseconds
) STRICT;
CREATE INDEX block_history_owner ON block_history (owner, label, seq);
