-- A passage's context: text that situates it (the message it answers), embedded with its text
-- and searched with its words, but not part of the text (archival.Passage.Context).
-- A constant default: PostgreSQL adds the column without rewriting the table.
ALTER TABLE passages ADD COLUMN context text NOT NULL DEFAULT '';

-- The lexical half indexes the text and its context (archival.Passage.LexicalText), so tsv is
-- made again from both. Every existing passage's context is empty, and to_tsvector of the text
-- followed by a space is the tsvector of the text, so no posting (passage_terms, 0006) and no
-- count (archival_stats, 0002) changes; adding the column rewrites the table, and fires no
-- trigger. The rewrite rebuilds the table's indexes, the HNSW graph among them, under an
-- exclusive lock: archival reads and writes wait (about 20 s for 20,000 passages of dimension
-- 384 in a review's measurement), so apply it in a quiet moment on a large store.
SET LOCAL maintenance_work_mem = '512MB';
ALTER TABLE passages DROP COLUMN tsv;
ALTER TABLE passages ADD COLUMN tsv tsvector
    GENERATED ALWAYS AS (to_tsvector('english', text || ' ' || context)) STORED;
