// Package bench measures what memsvc retrieves and how fast, on the same code paths the service
// runs: archival inserts and searches go through pager.Service (the methods the HTTP API calls),
// on the embedded store in a temporary directory or on PostgreSQL, and the load suite drives the
// HTTP API itself.
//
// The suites (also RunBeam and RunSummary, in their files):
//   - RunLocomo: LoCoMo evidence retrieval. One agent per conversation, one passage per turn, the
//     questions asked the day after the last session; R@k, hit@k and session R@k per category, and
//     wrong-speaker@1 on the adversarial category.
//   - RunStale: seeded stale-fact streams shaped after MemoryAgentBench's FactConsolidation
//     (single-valued attributes updated over time, keyed or not, in order or shuffled, and a
//     two-hop chain); current@1, stale-in-top-5 and the MRR of the current fact.
//   - RunUpdates: seeded short update chains of a technical fact (a version, an endpoint, a pool
//     size…), unkeyed, alone in an agent and among unrelated memories; newest@1 and clean@5 (the
//     newest first with no older value in the top 5).
//   - RunLoad: concurrent agents appending and searching over HTTP, with per-endpoint latency
//     percentiles, throughput, peak memory, and a corpus-size ladder of archival search latency.
//
// Every retrieval suite runs each Mode (mode.go maps bm25, relevance, hybrid and full, and the
// ablations hybrid+recency, hybrid+subject, hybrid+validity and hybrid+predicate, to search
// options) against the same corpus, so the modes differ only in the search options. Results are
// plain structs that marshal to the JSON the bench command prints; WriteTable and WritePlot
// render them.
//
// Quality figures are deterministic for a seed: the services' clocks tick a millisecond per
// reading from a fixed "now", so record times follow arrival order on every run.
//
// bench reads no flags or environment variables: cmd/memsvc parses them into the Config types.
package bench

import (
	"io"
	"log/slog"

	"github.com/memsvc/memsvc/embed"
)

// Common is the configuration every suite shares.
type Common struct {
	// Store is "" or "embedded" for a fresh embedded store in a temporary directory (removed
	// afterwards), or a postgres:// URL.
	Store string
	// Modes to run; nil runs AllModes.
	Modes []Mode
	// Seed makes generated data and sampling reproducible.
	Seed int64
	// Progress receives progress output (usually stderr); nil discards it.
	Progress io.Writer
	// Bar draws a live progress bar (a terminal); otherwise an occasional progress line is printed.
	Bar bool
	// Workers is how many searches run at once (default 2).
	Workers int
	Logger  *slog.Logger
	// Embedder embeds passages and queries; nil is the built-in one. A suite's figures hold for
	// the embedder they were measured with, and its result names it (Model).
	Embedder embed.Embedder
}

// embedderModel is the Model() of the suite's embedder.
func (c *Common) embedderModel() string {
	if c.Embedder == nil {
		return embed.BuiltinModel
	}
	return c.Embedder.Model()
}

func (c *Common) setDefaults() {
	if len(c.Modes) == 0 {
		c.Modes = AllModes
	}
	if c.Workers <= 0 {
		c.Workers = 2
	}
	if c.Progress == nil {
		c.Progress = io.Discard
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
}
