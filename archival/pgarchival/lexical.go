package pgarchival

import (
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// maxTerms caps the distinct lexemes of one lexical query, the first by position (as memarchival
// caps its words).
const maxTerms = 64

// BM25's parameters, those of SQLite FTS5 (and Lucene).
const (
	bm25K1 = "1.2"
	bm25B  = "0.75"
)

// lexicalSQL ranks the agent's passages by Okapi BM25 over the words of $2. Its parts:
//
//   - q: the query's lexemes, from to_tsvector('english', $2) as the tsv column is made (stemmed,
//     stopwords dropped), at most maxTerms, first by position. User text is only ever an argument
//     of to_tsvector, never parsed as tsquery syntax.
//   - m: the agent's passages matching any lexeme, through the GIN index on tsv, with the filter
//     evaluated as keep. The tsquery is built from the lexemes themselves, each quoted as a
//     tsquery operand (quotes doubled, backslashes escaped) and cast, so no normalization or
//     operator parsing applies to it.
//   - t: every lexeme of those passages with its term frequency tf (its positions), and the
//     passage length dl (all its positions: indexed tokens, like FTS5's token count).
//   - h, df: the query lexemes' rows, and df = how many of the agent's passages hold each
//     (every passage holding one is in m, filtered or not, as FTS5 counts every row).
//   - st: N and avgdl of the agent, from archival_stats.
//
// score = Σ idf·tf·(k1+1) / (tf + k1·(1 - b + b·dl/avgdl)), idf = ln(1 + (N - df + 0.5)/(df + 0.5)).
// Ties go to the smaller id. The filter condition is spliced in at %FILTER%, with its parameters
// after the first three.
var lexicalSQL = `WITH q AS (
	SELECT u.lexeme FROM unnest(to_tsvector('english', $2)) AS u
	ORDER BY u.positions[1], u.lexeme LIMIT ` + strconv.Itoa(maxTerms) + `
), m AS MATERIALIZED (
	SELECT id, created_at, tsv, (%FILTER%) AS keep FROM passages
	WHERE agent_id = $1 AND tsv @@ (SELECT string_agg('''' || replace(replace(lexeme, '\', '\\'), '''', '''''') || '''', ' | ')::tsquery FROM q)
), t AS (
	SELECT m.id, m.created_at, m.keep, u.lexeme, coalesce(array_length(u.positions, 1), 1)::float8 AS tf,
		sum(coalesce(array_length(u.positions, 1), 1)) OVER (PARTITION BY m.id)::float8 AS dl
	FROM m, unnest(m.tsv) AS u
), h AS (
	SELECT * FROM t WHERE lexeme IN (SELECT lexeme FROM q)
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
func queueLexical(b *pgx.Batch, agentID, text string, f filter, depth int, out *[]*candidate) {
	cond, args := f.where([]any{agentID, text, depth})
	b.Queue(strings.Replace(lexicalSQL, "%FILTER%", cond, 1), args...).Query(func(rows pgx.Rows) error {
		var cands []*candidate
		for rows.Next() {
			var (
				c       candidate
				created time.Time
			)
			if err := rows.Scan(&c.id, &created, &c.lexical); err != nil {
				return err
			}
			c.createdAt = created.UnixMicro()
			c.lexicalRank = len(cands) + 1
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
