-- The highest passage source an API key may claim: a key created with max_source 'agent' cannot
-- store or act as the user. Existing keys keep 'user'.
ALTER TABLE api_keys ADD COLUMN max_source text NOT NULL DEFAULT 'user';
