// Package compaction folds evicted messages into an agent's running summary in the background,
// as durable jobs on River, scheduled the way an operating system schedules a scarce CPU.
//
// The contract:
//   - The pager evicts synchronously (the context always fits; recall holds the evicted messages at
//     once) and, in the same transaction, inserts a queued compaction (state.Change.Queue). No
//     evicted span is ever left without its job, and no job exists for a span that was not evicted.
//     Until the job lands its summary the context shows the previous one; the paging rule counts the
//     summary at its full budget (pager.SummaryBudget), so the window is never exceeded when it lands.
//   - The scheduler (Service.Tick, run every PollInterval and when woken) is the only way into the
//     job queue. It hands at most Workers compactions out at once, one per agent, each as a River
//     job of a new generation. Among the agents with work it picks the one most owed: the least
//     virtual time (tokens consumed, CFS-style, an idle agent placed at the floor less
//     SleeperCredit), so one busy agent cannot starve the rest. An agent over its token budget for
//     the current period (Budget, like a cgroup's quota) waits for the next period.
//   - A job claims its compaction for its generation (a stale or duplicate job does nothing),
//     holds a lease it renews while it works, and is retried with backoff when it fails. A job
//     whose process died (kill -9) stops renewing; when the lease expires the scheduler hands the
//     compaction out again as a new generation.
//   - A job folds every evicted message after the current summary (and those of the agent's other
//     queued compactions, which succeed with it) into a new summary with the configured
//     pager.Summarizer, checks that the pinned messages' facts survive (retention, retried, then
//     written to archival verbatim), and commits the summary with its compaction in one paging
//     step. A compaction makes at most one summary: its ID is derived from the compaction's and a
//     unique index on summaries.compaction_id enforces it, so a retried, duplicated or re-leased
//     job never makes two summaries of one span. The summary then goes to archival through the
//     pager's outbox (source compaction, with source_message_ids).
//   - Provenance: a summary records the archival passages it drew on. When one is superseded,
//     invalidated or deleted, the next compaction flags the summaries that drew on it stale,
//     invalidates their archival passages and rebuilds the summary without the messages that
//     cited it.
//   - With a Contradictor configured, a job asks it whether the evicted messages contradict older
//     passages about the same subject of the same agent; a contradiction marks the passage
//     possibly superseded, with the verdict's confidence, recorded in the passage's history.
//   - Tokens in and out are recorded per compaction, charged to the agent's account and exported
//     as Prometheus metrics. Stop drains the workers: running jobs finish (or, past the caller's
//     deadline, are cancelled and retried later).
package compaction
