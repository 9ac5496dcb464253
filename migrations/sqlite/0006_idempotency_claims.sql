-- Idempotency keys bound to their request and claimed before the write runs (see the PostgreSQL
-- migration 0007): fingerprint is the SHA-256 of the method, path and body; status 0 marks a
-- claim whose answer is not stored yet; rows older than the retention are pruned.
ALTER TABLE idempotency ADD COLUMN fingerprint TEXT NOT NULL DEFAULT '';
CREATE INDEX idempotency_created_at ON idempotency (created_at);
