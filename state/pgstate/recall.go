package pgstate

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/pgvector/pgvector-go"

	"github.com/memsvc/memsvc/state"
)

// recallFilter renders the WHERE conditions shared by both halves of a recall search; its
// placeholders start at $first.
func recallFilter(q state.RecallQuery, first int) (string, []any) {
	where := []string{fmt.Sprintf("m.agent_id = $%d", first)}
	args := []any{q.AgentID}
	if len(q.Roles) > 0 {
		args = append(args, q.Roles)
		where = append(where, fmt.Sprintf("m.role = ANY($%d)", first+len(args)-1))
	}
	if q.From != nil {
		args = append(args, *q.From)
		where = append(where, fmt.Sprintf("m.created_at >= $%d", first+len(args)-1))
	}
	if q.To != nil {
		args = append(args, *q.To)
		where = append(where, fmt.Sprintf("m.created_at <= $%d", first+len(args)-1))
	}
	return strings.Join(where, " AND "), args
}

// orQuery turns $1, free text, into a tsquery matching any of its English lexemes, or NULL when it
// has none (then nothing matches). The text is never parsed as tsquery syntax: to_tsvector splits
// and stems it like the indexed column, and each lexeme is quoted (quotes doubled, backslashes
// escaped) before the cast, so `"`, `NEAR(`, `*`, `a:b -c`, `'` or `&|!<->` cannot fail. The cast
// keeps each lexeme whole, where to_tsquery would split a compound one ("foo-bar") into a phrase.
const orQuery = `(SELECT string_agg('''' || replace(replace(lexeme, E'\\', E'\\\\'), '''', '''''') || '''', ' | ')::tsquery
	FROM unnest(to_tsvector('english', $1)))`

// SearchMessages implements state.Store. The lexical half ranks matches of any query lexeme by
// ts_rank_cd (cover density) over the GIN-indexed messages.tsv. This is a simplification of the
// embedded store's BM25: ts_rank_cd has no inverse document frequency, so a rare word weighs no
// more than a common one (nor does it normalize by length), and its scores are not comparable
// with BM25's, so a lexical rank here can differ from the embedded store's for the same data.
// Equal scores break ties by seq.
//
// The dense half is an exact scan, ORDER BY cosine distance (pgvector's <=>), over the agent's
// embedded messages with the same filters; Dense is the cosine similarity, 1 - distance, and
// tied similarities share a dense rank (rank.Ranks). Messages whose vector has zero norm or
// another dimension than the query are skipped, as in the embedded store.
//
// Each half returns up to max(50, 5K) candidates; the result lists the lexical ones in order,
// then the dense-only ones, unfused.
func (s *Store) SearchMessages(ctx context.Context, q state.RecallQuery) ([]state.MessageHit, error) {
	depth := state.RecallDepth(q.K)
	var lexical, dense []state.MessageHit
	// PostgreSQL text holds neither NUL nor invalid UTF-8; they separate words like spaces.
	text := strings.ReplaceAll(strings.ToValidUTF8(q.Text, " "), "\x00", " ")
	if strings.TrimSpace(text) != "" {
		where, args := recallFilter(q, 3)
		rows, err := s.pool.Query(ctx, `WITH q AS (SELECT `+orQuery+` AS query)
			SELECT `+messageCols+`, ts_rank_cd(m.tsv, q.query) AS score FROM messages m, q
			WHERE m.tsv @@ q.query AND `+where+` ORDER BY score DESC, m.seq LIMIT $2`,
			append([]any{text, depth}, args...)...)
		if err != nil {
			return nil, wrap("recall lexical", err)
		}
		hits, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (state.MessageHit, error) {
			var h state.MessageHit
			var err error
			h.Message, err = scanMessage(r, &h.Lexical)
			return h, err
		})
		if err != nil {
			return nil, wrap("recall lexical", err)
		}
		for i := range hits {
			hits[i].LexicalRank = i + 1
		}
		lexical = hits
	}
	if len(q.Vector) > 0 {
		var err error
		if dense, err = s.denseMessages(ctx, q, depth); err != nil {
			return nil, err
		}
	}
	return state.MergeRecall(lexical, dense), nil
}

// denseMessages returns the depth nearest embedded messages by cosine similarity, best first.
func (s *Store) denseMessages(ctx context.Context, q state.RecallQuery, depth int) ([]state.MessageHit, error) {
	var norm float64
	for _, f := range q.Vector {
		norm += float64(f) * float64(f)
	}
	if norm == 0 {
		return nil, nil // cosine is undefined; the embedded store skips it too
	}
	where, args := recallFilter(q, 4)
	rows, err := s.pool.Query(ctx, `SELECT `+messageCols+`, 1 - (m.embedding <=> $1) AS cosine FROM messages m
		WHERE m.embedding IS NOT NULL AND vector_dims(m.embedding) = $2 AND vector_norm(m.embedding) > 0 AND `+where+`
		ORDER BY m.embedding <=> $1, m.seq LIMIT $3`,
		append([]any{pgvector.NewVector(q.Vector), len(q.Vector), depth}, args...)...)
	if err != nil {
		return nil, wrap("recall dense", err)
	}
	hits, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (state.MessageHit, error) {
		var h state.MessageHit
		var err error
		h.Message, err = scanMessage(r, &h.Dense)
		return h, err
	})
	if err != nil {
		return nil, wrap("recall dense", err)
	}
	return hits, nil
}
