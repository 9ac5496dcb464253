-- Trust boundaries: agents belong to tenants; API keys (hashed) map to tenants; deny-first
-- permissions per agent and per tenant; shared core memory blocks, attached by several agents of
-- one tenant; and the history of every block write, for undo.

ALTER TABLE agents ADD COLUMN tenant text NOT NULL DEFAULT 'default';
ALTER TABLE agents ADD COLUMN permissions jsonb;          -- Permissions, NULL for none
CREATE INDEX agents_tenant ON agents (tenant, id COLLATE "C");

CREATE TABLE api_keys (
    id         text PRIMARY KEY,
    tenant     text NOT NULL,
    admin      boolean NOT NULL DEFAULT false,
    name       text NOT NULL DEFAULT '',
    hash       bytea NOT NULL,                 -- SHA-256 of the token
    created_at timestamptz NOT NULL,
    revoked_at timestamptz                     -- NULL while the key works
);
CREATE INDEX api_keys_tenant ON api_keys (tenant, id COLLATE "C");

CREATE TABLE tenant_policies (
    tenant      text PRIMARY KEY,
    permissions jsonb NOT NULL,
    updated_at  timestamptz NOT NULL
);

CREATE TABLE shared_blocks (
    id          text PRIMARY KEY,
    tenant      text NOT NULL,
    label       text NOT NULL,
    value       text NOT NULL,
    lim         integer NOT NULL,
    description text NOT NULL,
    version     bigint NOT NULL,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL
);

-- An attachment is a row of blocks with shared_id set: its value, lim and description columns are
-- unused (the shared block's count), read_only and copy_on_write are the attachment's own.
ALTER TABLE blocks ADD COLUMN shared_id text;              -- NULL for the agent's own block
ALTER TABLE blocks ADD COLUMN copy_on_write boolean NOT NULL DEFAULT false;
CREATE INDEX blocks_shared ON blocks (shared_id) WHERE shared_id IS NOT NULL;

CREATE TABLE block_history (
    seq          bigserial PRIMARY KEY,
    owner        text NOT NULL,                -- the shared block's ID, or the agent's for its own block
    label        text NOT NULL,
    shared_id    text NOT NULL DEFAULT '',
    agent_id     text NOT NULL DEFAULT '',
    action       text NOT NULL,
    value_before text NOT NULL,
    value_after  text NOT NULL,
    undoes       bigint NOT NULL DEFAULT 0,
    cause        text NOT NULL DEFAULT '',
    at           timestamptz NOT NULL
);
CREATE INDEX block_history_owner ON block_history (owner, label, seq);
