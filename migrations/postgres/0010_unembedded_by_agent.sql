-- One index of the messages awaiting a vector instead of two: by agent and sequence, it counts an
-- agent's pending messages (recall search) and hands the embedder each agent's oldest in turn
-- (state.Store.UnembeddedMessages). The new index is built first, under the SHARE lock that
-- blocks writes to messages but not reads (as 0009's did); the two DROPs then take the table's
-- ACCESS EXCLUSIVE lock only for the moment before this migration's transaction commits.
CREATE INDEX messages_pending ON messages (agent_id, seq) WHERE embedding IS NULL;
DROP INDEX messages_unembedded;
DROP INDEX messages_unembedded_agent;
