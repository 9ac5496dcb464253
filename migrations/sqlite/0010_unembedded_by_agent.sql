-- One index of the messages awaiting a vector instead of two: by agent and sequence, it counts an
-- agent's pending messages (recall search) and hands the embedder each agent's oldest in turn
-- (state.Store.UnembeddedMessages). An append wrote a page of each of the two (a third of the
-- log pages of an append, BenchmarkAppendLog), and setting a message's vector removed it from
-- both.
CREATE INDEX messages_pending ON messages (agent_id, seq) WHERE vector IS NULL;
DROP INDEX messages_unembedded;
DROP INDEX messages_unembedded_agent;
