-- A passage's context: text that situates it (the message it answers), embedded with its text
-- but not part of it (archival.Passage.Context). A constant default: PostgreSQL adds the column
-- without rewriting the table.
ALTER TABLE passages ADD COLUMN context text NOT NULL DEFAULT '';
