package pgarchival

import (
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/memsvc/memsvc/archival"
)

// BM25's parameters, those of SQLite FTS5 (and Lucene).
const (
	bm25K1 = "1.2"
	bm25B  = "0.75"
)

// lexicalSQL ranks the agent's passages by Okapi BM25 over the words of $2. The query's lexemes
// are archival_lexemes($2) and its tsquery archival_tsquery($2) (migration 0002): the text is
// only ever an argument of to_tsvector('english', ...), never parsed as tsquery syntax, and at
// most 64 lexemes count. Both functions are immutable, so the plan made for this text (Search
// forces custom plans) holds them as constants, and the planner can weigh the GIN index on tsv.
//
//   - m: the agent's passages matching any lexeme, with the filter evaluated as keep, and the
//     passage length dl: all positions of its tsvector, i.e. its indexed tokens (FTS5 counts
//     tokens too), the measure archival_doc_len gives and archival_stats sums.
//   - h: the query lexemes of those passages, with their term frequency tf (their positions).
//   - df: how many of the agent's passages hold each lexeme (every passage holding one is in m,
//     filtered or not, as FTS5 counts every row).
//   - st: N and avgdl of the agent, from archival_stats.
//
// score = Σ idf·tf·(k1+1) / (tf + k1·(1 - b + b·dl/avgdl)), idf = ln(1 + (N - df + 0.5)/(df + 0.5)).
// Ties go to the smaller id. The filter condition is spliced in at %FILTER%, with its parameters
// after the first three.
const lexicalSQL = `WITH m AS MATERIALIZED (
	SELECT id, created_at, tsv, (%FILTER%) AS keep,
		(SELECT sum(coalesce(array_length(u.positions, 1), 1)) FROM unnest(tsv) AS u)::float8 AS dl
	FROM passages
	WHERE agent_id = $1 AND tsv @@ archival_tsquery($2)
), h AS (
	SELECT m.id, m.created_at, m.keep, m.dl, u.lexeme, coalesce(array_length(u.positions, 1), 1)::float8 AS tf
	FROM m, unnest(m.tsv) AS u
	WHERE u.lexeme = ANY (archival_lexemes($2))
), df AS (
	SELECT lexeme, count(*)::float8 AS df FROM h GROUP BY lexeme
), st AS (
	SELECT n::float8 AS n, total_len::float8 / n AS avgdl FROM archival_stats WHERE agent_id = $1 AND n > 0
)
SELECT h.id, h.created_at,
	sum(ln(1 + (st.n - df.df + 0.5) / (df.df + 0.5)) * h.tf * (` + bm25K1 + ` + 1)
		/ (h.tf + ` + bm25K1 + ` * (1 - ` + bm25B + ` + ` + bm25B + ` * h.dl / st.avgdl))) AS score
FROM h JOIN df USING (lexeme) CROSS JOIN st
WHERE h.keep
GROUP BY h.id, h.created_at
ORDER BY score DESC, h.id
LIMIT $3`

// queueLexical queues on b the lexical half of q: the depth best passages of the agent by BM25
// over the words of text that pass f, ranked 1, 2, 3... in that order (as FTS5's are in
// memarchival). It stores the candidates in *out.
func queueLexical(b *pgx.Batch, agentID, text string, f filter, depth int, out *[]*archival.Candidate) {
	cond, args := f.where([]any{agentID, text, depth})
	b.Queue(strings.Replace(lexicalSQL, "%FILTER%", cond, 1), args...).Query(func(rows pgx.Rows) error {
		var cands []*archival.Candidate
		for rows.Next() {
			var (
				c       archival.Candidate
				created time.Time
			)
			if err := rows.Scan(&c.ID, &created, &c.Lexical); err != nil {
				return err
			}
			c.CreatedAt = created.UnixMicro()
			c.LexicalRank = len(cands) + 1
			cands = append(cands, &c)
		}
		*out = cands
		return rows.Err()
	})
}

// lexicalText makes text storable for PostgreSQL (NUL and invalid UTF-8 become spaces, which
// separate words as they do in memarchival) and reports whether any word can remain.
func lexicalText(text string) (string, bool) {
	text = strings.ToValidUTF8(strings.ReplaceAll(text, "\x00", " "), " ")
	return text, strings.TrimSpace(text) != ""
}
