-- Idempotency keys bound to their request and claimed before the write runs: fingerprint is the
-- SHA-256 of the method, path and body; status 0 marks a claim whose answer is not stored yet
-- (the write is running, in this replica or another). created_at is when the key was claimed;
-- rows older than the retention (24 h by default) no longer count and are pruned.
ALTER TABLE idempotency ADD COLUMN fingerprint text NOT NULL DEFAULT '';
CREATE INDEX idempotency_created_at ON idempotency (created_at);
