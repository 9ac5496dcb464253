package pgarchival

import (
	"math"
	"sort"
	"strconv"

	"github.com/jackc/pgx/v5"
	"github.com/pgvector/pgvector-go"

	"github.com/memsvc/memsvc/archival"
	"github.com/memsvc/memsvc/rank"
)

// maxEfSearch is the largest hnsw.ef_search pgvector accepts; deeper lists come from its iterative
// scan.
const maxEfSearch = 1000

// efSearch is the least hnsw.ef_search of a search: with the graph of migration 0006 (m 32,
// ef_construction 128) it gives recall@10 0.959–0.961 against exact search over 100k passages of
// text embedded by the built-in embedder, where 250 gave 0.949–0.950, either side of the 0.95
// goal, as pgvector's parallel index build is not deterministic (bench/RESULTS.md).
const efSearch = 300

// queueSettings queues on b, first, the settings of a dense search's transaction (a batch runs as one
// implicit transaction, so set_config(..., true) lasts until its end, and each statement is
// planned after the ones before it have run):
//   - plan_cache_mode = force_custom_plan: pgx prepares and caches the statements, and a generic
//     plan would be blind to the agent (a small agent in a large table is best read by primary
//     key and sorted exactly; a large one through the HNSW index) and to the lexical query's
//     lexemes, so every search is planned for its own arguments (a fraction of a millisecond).
//   - hnsw.ef_search = max(efSearch, 2·depth) (at most 1000) and hnsw.iterative_scan = relaxed_order,
//     so that a filter which rejects most of the graph's nearest rows still yields depth rows
//     (pgvector 0.8; the scan stops after hnsw.max_scan_tuples, 20,000 by default).
//   - enable_sort = off when the agent has more than exactLimit passages and at least a tenth of
//     the table's (archival_stats, pg_class), which leaves the planner the HNSW index as the only
//     way to order them. PostgreSQL charges a 100-dimensional cosine distance as one cheap
//     operator, so it would sort such an agent's rows exactly up to about 12,000 of them, where
//     the index is already faster. An agent with a smaller share is left to the planner, which
//     reads a small one exactly by primary key: forced through the graph, its filter would reject
//     most of what the iterative scan reaches (at most hnsw.max_scan_tuples) and the list could
//     come back short. Otherwise enable_sort keeps its value.
func queueSettings(b *pgx.Batch, agentID string, depth int) {
	b.Queue(`SELECT set_config('plan_cache_mode', 'force_custom_plan', true),
		set_config('hnsw.ef_search', $1, true), set_config('hnsw.iterative_scan', 'relaxed_order', true),
		set_config('enable_sort', CASE
			WHEN coalesce((SELECT n FROM archival_stats WHERE agent_id = $2), 0)
				> greatest($3, (SELECT reltuples / 10 FROM pg_class WHERE oid = 'passages'::regclass))
			THEN 'off' ELSE current_setting('enable_sort') END, true)`,
		strconv.Itoa(efSearchFor(depth)), agentID, exactLimit)
}

// exactLimit is the most passages of an agent that a dense search may read exactly, in the
// planner's judgement, whatever their share of the table (see queueSettings).
const exactLimit = 2000

// efSearchFor is the hnsw.ef_search of a search depth candidates deep.
func efSearchFor(depth int) int { return min(maxEfSearch, max(efSearch, 2*depth)) }

// queueDense queues on b the dense half of q: the depth nearest passages of the agent by cosine
// distance that pass f, whole, through the HNSW index or the agent's primary-key range, as the
// planner judges (see queueSettings, which must come first). Relaxed order may return rows
// slightly out of order; readDense sorts them again. It stores the candidates in *out and their
// passages in read.
func queueDense(b *pgx.Batch, q archival.Query, f filter, depth int, out *[]*archival.Candidate, read map[string]archival.Passage) {
	args := []any{q.AgentID, pgvector.NewVector(q.Vector), depth}
	cond, args := f.where(args)
	b.Queue(`SELECT `+passageColumns+`, embedding <=> $2 FROM passages
		WHERE agent_id = $1 AND `+cond+`
		ORDER BY embedding <=> $2 LIMIT $3`, args...).Query(func(rows pgx.Rows) error {
		cands, err := readDense(rows, read)
		*out = cands
		return err
	})
}

// readDense reads the dense rows, best first by cosine similarity (1 - distance, clamped to
// [-1, 1]; a stored zero vector, whose distance is NaN, scores 0 as in memarchival), ties by id,
// and gives them competition ranks that let near-equal similarities share one (rank.Ranks).
func readDense(rows pgx.Rows, read map[string]archival.Passage) ([]*archival.Candidate, error) {
	var cands []*archival.Candidate
	for rows.Next() {
		var distance float64
		p, err := scanPassage(rows, &distance)
		if err != nil {
			return nil, err
		}
		read[p.ID] = p
		c := archival.Candidate{ID: p.ID, CreatedAt: p.CreatedAt.UnixMicro(), Dense: 1 - distance}
		if math.IsNaN(c.Dense) {
			c.Dense = 0
		}
		c.Dense = max(-1, min(1, c.Dense))
		cands = append(cands, &c)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	sort.Slice(cands, func(i, j int) bool {
		if cands[i].Dense != cands[j].Dense {
			return cands[i].Dense > cands[j].Dense
		}
		return cands[i].ID < cands[j].ID
	})
	scores := make([]float64, len(cands))
	for i, c := range cands {
		scores[i] = c.Dense
	}
	for i, r := range rank.Ranks(scores) {
		cands[i].DenseRank = r
	}
	return cands, nil
}

func nonZero(v []float32) bool {
	for _, x := range v {
		if x != 0 {
			return true
		}
	}
	return false
}
