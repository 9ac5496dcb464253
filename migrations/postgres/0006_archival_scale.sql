-- Archival search at 100,000 passages per agent (bench/RESULTS.md, "Archival search on PostgreSQL").
--
-- 1. passage_terms holds the postings of the lexical half: one row per (passage, lexeme of its
--    tsv), with the lexeme's frequency tf and the passage's length dl (archival_doc_len). BM25 then
--    reads only the query's lexemes, from an index-only scan of the primary key, instead of
--    fetching and unnesting the tsvector of every matching passage (87 ms at 100k passages
--    before, bench figures). Statement-level triggers keep it in step with passages inside the
--    writing transaction, for every writer, as archival_stats is kept (0002); an UPDATE that
--    leaves a passage's tsv alone (a change of status) leaves its postings alone.
--    The GIN index on passages.tsv served the old query only, and goes.
--
-- 2. The HNSW graph is rebuilt denser than pgvector's defaults (m 16, ef_construction 64). On
--    embeddings of text (the built-in embedder's, whose cosines crowd together: a query's 10th
--    nearest neighbour at 0.81, its 100th at 0.79), m 16 / ef_construction 64 reached recall@10
--    0.85 at ef_search 200 over 100k passages, m 32 / ef_construction 128 0.95 at 200 and 0.96
--    at 250 (pgarchival searches at 250). An insert costs about twice as much; passages arrive
--    through the outbox, off the append path.

CREATE TABLE passage_terms (
    agent_id text NOT NULL,
    lexeme   text NOT NULL,
    id       text NOT NULL,
    tf       real NOT NULL,
    dl       real NOT NULL,
    PRIMARY KEY (agent_id, lexeme, id) INCLUDE (tf, dl)
);

INSERT INTO passage_terms (agent_id, lexeme, id, tf, dl)
SELECT p.agent_id, u.lexeme, p.id, coalesce(array_length(u.positions, 1), 1), archival_doc_len(p.tsv)
FROM passages p, unnest(p.tsv) AS u;

-- passage_terms_apply deletes the postings of the deleted rows and of the updated rows whose tsv
-- changed, and inserts those of the inserted rows and of the updated rows whose tsv changed.
CREATE FUNCTION passage_terms_apply() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        DELETE FROM passage_terms t USING old_rows o, unnest(o.tsv) AS u
        WHERE t.agent_id = o.agent_id AND t.lexeme = u.lexeme AND t.id = o.id;
    ELSIF TG_OP = 'UPDATE' THEN
        DELETE FROM passage_terms t USING old_rows o, unnest(o.tsv) AS u
        WHERE t.agent_id = o.agent_id AND t.lexeme = u.lexeme AND t.id = o.id
          AND NOT EXISTS (SELECT 1 FROM new_rows n WHERE n.agent_id = o.agent_id AND n.id = o.id AND n.tsv = o.tsv);
        INSERT INTO passage_terms (agent_id, lexeme, id, tf, dl)
        SELECT n.agent_id, u.lexeme, n.id, coalesce(array_length(u.positions, 1), 1), archival_doc_len(n.tsv)
        FROM new_rows n, unnest(n.tsv) AS u
        WHERE NOT EXISTS (SELECT 1 FROM old_rows o WHERE o.agent_id = n.agent_id AND o.id = n.id AND o.tsv = n.tsv);
    ELSE
        INSERT INTO passage_terms (agent_id, lexeme, id, tf, dl)
        SELECT n.agent_id, u.lexeme, n.id, coalesce(array_length(u.positions, 1), 1), archival_doc_len(n.tsv)
        FROM new_rows n, unnest(n.tsv) AS u;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER passages_terms_insert AFTER INSERT ON passages
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION passage_terms_apply();
CREATE TRIGGER passages_terms_update AFTER UPDATE ON passages
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION passage_terms_apply();
CREATE TRIGGER passages_terms_delete AFTER DELETE ON passages
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION passage_terms_apply();

DROP INDEX passages_tsv;

SET LOCAL maintenance_work_mem = '512MB';
DROP INDEX passages_embedding;
CREATE INDEX passages_embedding ON passages USING hnsw (embedding vector_cosine_ops)
    WITH (m = 32, ef_construction = 128);
