-- One index of the messages awaiting a vector instead of two: by agent and sequence, it counts an
-- agent's pending messages (recall search) and hands the embedder each agent's oldest in turn
-- (state.Store.UnembeddedMessages).
DROP INDEX messages_unembedded;
DROP INDEX messages_unembedded_agent;
CREATE INDEX messages_unembedded ON messages (agent_id, seq) WHERE embedding IS NULL;
