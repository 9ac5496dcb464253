-- A recall search says how many of the agent's messages are not embedded yet (they are found by
-- their words only until the background embedder reaches them): counted per agent through this
-- partial index, which holds only those messages.
CREATE INDEX messages_unembedded_agent ON messages (agent_id) WHERE embedding IS NULL;
