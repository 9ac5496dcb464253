-- The highest passage source an API key may claim (issue 12, item 9): a key created with
-- max_source 'agent' cannot store or act as the user. Existing keys keep 'user'.
ALTER TABLE api_keys ADD COLUMN max_source TEXT NOT NULL DEFAULT 'user';
