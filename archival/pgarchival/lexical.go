package pgarchival

import (
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/memsvc/memsvc/archival"
)

// BM25's parameters, those of lexindex (and SQLite FTS5, and Lucene).
const (
	bm25K1 = "1.2"
	bm25B  = "0.75"
)

// lexicalSQL ranks the agent's passages by Okapi BM25 over the words of $2. The query's lexemes
// are archival_lexemes($2) (migration 0002): the text is only ever an argument of
// to_tsvector('english', ...), never parsed as tsquery syntax, and at most 64 lexemes count.
//
//   - t: the postings of those lexemes in the agent's passages (passage_terms, migration 0006:
//     an index-only scan of its primary key), each with its term frequency tf (the lexeme's
//     positions) and the passage's length dl (all positions of its tsvector, i.e. its indexed
//     tokens, as FTS5 counts tokens; archival_stats sums the same measure).
//   - df: how many of the agent's passages hold each lexeme (every passage, filtered or not, as
//     FTS5 counts every row).
//   - st: N and avgdl of the agent, from archival_stats.
//   - s: every matching passage with its score, best first, ties to the smaller id.
//
// score = Σ idf·tf·(k1+1) / (tf + k1·(1 - b + b·dl/avgdl)), idf = ln(1 + (N - df + 0.5)/(df + 0.5)).
// Only then are passages read, whole, in score order and by primary key, until $3 pass the filter
// (spliced in at %FILTER%, with its parameters after the first three): the nested loop under the
// LIMIT stops there, so the filter costs about $3 lookups however many passages match.
const lexicalSQL = `WITH t AS MATERIALIZED (
	SELECT id, lexeme, tf::float8 AS tf, dl::float8 AS dl FROM passage_terms
	WHERE agent_id = $1 AND lexeme = ANY (archival_lexemes($2))
), df AS (
	SELECT lexeme, count(*)::float8 AS df FROM t GROUP BY lexeme
), st AS (
	SELECT n::float8 AS n, total_len::float8 / n AS avgdl FROM archival_stats WHERE agent_id = $1 AND n > 0
), s AS (
	SELECT t.id, sum(ln(1 + (st.n - df.df + 0.5) / (df.df + 0.5)) * t.tf * (` + bm25K1 + ` + 1)
		/ (t.tf + ` + bm25K1 + ` * (1 - ` + bm25B + ` + ` + bm25B + ` * t.dl / st.avgdl))) AS score
	FROM t JOIN df USING (lexeme) CROSS JOIN st
	GROUP BY t.id
	ORDER BY score DESC, t.id
)
SELECT p.*, s.score
FROM s CROSS JOIN LATERAL (
	SELECT ` + passageColumns + ` FROM passages WHERE agent_id = $1 AND id = s.id AND (%FILTER%)
) AS p
ORDER BY s.score DESC, s.id
LIMIT $3`

// queueLexical queues on b the lexical half of q: the depth best passages of the agent by BM25
// over the words of text that pass f, ranked 1, 2, 3... in that order (as lexindex's are in
// memarchival). It stores the candidates in *out and their passages in read.
func queueLexical(b *pgx.Batch, agentID, text string, f filter, depth int, out *[]*archival.Candidate, read map[string]archival.Passage) {
	cond, args := f.where([]any{agentID, text, depth})
	b.Queue(strings.Replace(lexicalSQL, "%FILTER%", cond, 1), args...).Query(func(rows pgx.Rows) error {
		var cands []*archival.Candidate
		for rows.Next() {
			var score float64
			p, err := scanPassage(rows, &score)
			if err != nil {
				return err
			}
			read[p.ID] = p
			cands = append(cands, &archival.Candidate{ID: p.ID, CreatedAt: p.CreatedAt.UnixMicro(),
				Lexical: score, LexicalRank: len(cands) + 1})
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
