-- A passage's context: text that situates it (the message it answers), embedded with its text
-- and searched with its words, but not part of the text (archival.Passage.Context). A constant
-- default: SQLite adds the column without rewriting the table.
ALTER TABLE passages ADD COLUMN context TEXT NOT NULL DEFAULT '';
