-- Lexical search moves from FTS5 to in-process indexes per agent (package lexindex), for archival
-- passages (memarchival) and for recall over messages (sqlitestate): FTS5 kept one index and one
-- set of BM25 statistics over every agent's rows, so another tenant's text changed an agent's
-- scores, and a search ranked every agent's matching rows before keeping the agent's (issue 12,
-- item 4). memarchival rebuilds its index from passages.text when it opens, as it does its vector
-- index; sqlitestate loads an agent's messages on its first recall search. The FTS5 tables and
-- the triggers that kept them go, and with them their cost on every write.
DROP TRIGGER passages_ai;
DROP TRIGGER passages_ad;
DROP TRIGGER passages_au;
DROP TABLE passages_fts;
DROP TRIGGER messages_ai;
DROP TRIGGER messages_ad;
DROP TABLE messages_fts;
