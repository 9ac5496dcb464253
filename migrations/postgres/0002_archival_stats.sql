-- Per-agent corpus statistics for pgarchival's BM25: how many passages an agent has (n) and how
-- many indexed tokens they hold (total_len), so that a search reads N and avgdl from one row
-- instead of scanning the agent's passages. Statement-level triggers keep the table in step with
-- passages inside the writing transaction, for every writer (pgarchival, COPY, psql).

-- archival_doc_len is a passage's length for BM25: its indexed tokens (stopwords excluded), i.e.
-- the positions of its tsvector. length(tsv) would count distinct lexemes instead.
CREATE FUNCTION archival_doc_len(tsv tsvector) RETURNS bigint
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN (SELECT coalesce(sum(coalesce(array_length(u.positions, 1), 1)), 0) FROM unnest(tsv) AS u);

-- archival_lexemes is the lexical query of a text: the distinct lexemes of
-- to_tsvector('english', text), as the tsv column is made (stemmed, stopwords dropped), at most 64,
-- first by position. archival_tsquery ORs them into a tsquery, each quoted as a tsquery operand
-- (quotes doubled, backslashes escaped), so that the text is never parsed as tsquery syntax; NULL
-- when the text has no lexeme. Both are IMMUTABLE so that a plan made for a given text folds
-- them into constants, and the planner can weigh the GIN index on tsv against the query's terms.
CREATE FUNCTION archival_lexemes(query text) RETURNS text[]
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN ARRAY(SELECT u.lexeme FROM unnest(to_tsvector('english', query)) AS u
                 ORDER BY u.positions[1], u.lexeme LIMIT 64);

CREATE FUNCTION archival_tsquery(query text) RETURNS tsquery
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN (SELECT string_agg(chr(39) || replace(replace(l, '\', '\\'), chr(39), chr(39) || chr(39)) || chr(39), ' | ')::tsquery
            FROM unnest(archival_lexemes(query)) AS l);

-- Without a pending list, GIN keeps its cost estimate (and plans) right between vacuums; a
-- passage's dozen lexemes are cheap to insert directly.
ALTER INDEX passages_tsv SET (fastupdate = off);

CREATE TABLE archival_stats (
    agent_id  text PRIMARY KEY,
    n         bigint NOT NULL,
    total_len bigint NOT NULL
);

INSERT INTO archival_stats (agent_id, n, total_len)
SELECT agent_id, count(*), sum(archival_doc_len(tsv)) FROM passages GROUP BY agent_id;

-- archival_stats_apply adds the inserted rows and subtracts the deleted ones (an UPDATE does
-- both), per agent, in agent order, and drops the rows of agents left with no passages.
CREATE FUNCTION archival_stats_apply() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO archival_stats AS s (agent_id, n, total_len)
        SELECT agent_id, count(*), sum(archival_doc_len(tsv)) FROM new_rows GROUP BY agent_id ORDER BY agent_id
        ON CONFLICT (agent_id) DO UPDATE SET n = s.n + excluded.n, total_len = s.total_len + excluded.total_len;
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO archival_stats AS s (agent_id, n, total_len)
        SELECT agent_id, sum(dn), sum(dl) FROM (
            SELECT agent_id, 1 AS dn, archival_doc_len(tsv) AS dl FROM new_rows
            UNION ALL
            SELECT agent_id, -1, -archival_doc_len(tsv) FROM old_rows
        ) d GROUP BY agent_id ORDER BY agent_id
        ON CONFLICT (agent_id) DO UPDATE SET n = s.n + excluded.n, total_len = s.total_len + excluded.total_len;
        DELETE FROM archival_stats WHERE n <= 0 AND agent_id IN (SELECT agent_id FROM old_rows);
    ELSE
        UPDATE archival_stats AS s SET n = s.n - d.n, total_len = s.total_len - d.len
        FROM (SELECT agent_id, count(*) AS n, sum(archival_doc_len(tsv)) AS len FROM old_rows GROUP BY agent_id) d
        WHERE s.agent_id = d.agent_id;
        DELETE FROM archival_stats WHERE n <= 0 AND agent_id IN (SELECT agent_id FROM old_rows);
    END IF;
    RETURN NULL;
END
$$;

-- A trigger with transition tables fires on one event only, hence three.
CREATE TRIGGER passages_stats_insert AFTER INSERT ON passages
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION archival_stats_apply();
CREATE TRIGGER passages_stats_update AFTER UPDATE ON passages
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION archival_stats_apply();
CREATE TRIGGER passages_stats_delete AFTER DELETE ON passages
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION archival_stats_apply();

-- Validity (the archival contract's key rule and history; the SQLite side is sqlite/0002_validity.sql):
-- possible supersessions found without a key, and every passage's history of validity changes.
ALTER TABLE passages ADD COLUMN possibly_superseded_by text NOT NULL DEFAULT '';
ALTER TABLE passages ADD COLUMN confidence double precision NOT NULL DEFAULT 0;

CREATE TABLE passage_history (
    seq           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    agent_id      text NOT NULL,
    passage_id    text NOT NULL,
    at            timestamptz NOT NULL,
    action        text NOT NULL,
    from_status   text NOT NULL DEFAULT '',
    to_status     text NOT NULL,
    superseded_by text NOT NULL DEFAULT '',
    cause         text NOT NULL DEFAULT '',
    confidence    double precision NOT NULL DEFAULT 0
);
CREATE INDEX passage_history_passage ON passage_history (agent_id, passage_id, seq);
