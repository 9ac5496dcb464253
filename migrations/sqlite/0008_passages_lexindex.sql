-- Archival lexical search moves from FTS5 to an in-process index per agent (package lexindex):
-- FTS5 kept one index and one set of BM25 statistics over every agent's passages, so another
-- tenant's text changed an agent's scores and another agent's rows its latency (issue 12, item
-- 4). memarchival rebuilds the new index from passages.text when it opens, as it does its vector
-- index; the FTS5 table and the triggers that kept it go, and with them their cost on every write.
DROP TRIGGER passages_ai;
DROP TRIGGER passages_ad;
DROP TRIGGER passages_au;
DROP TABLE passages_fts;
