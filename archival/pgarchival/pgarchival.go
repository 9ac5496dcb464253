// Package pgarchival is the PostgreSQL archival backend: passages live in the `passages` table
// (migrations/postgres), dense search is pgvector's HNSW cosine index, and lexical search is Okapi
// BM25 computed in SQL over the postings of the table's `tsv` column (to_tsvector('english', text)),
// kept in `passage_terms` by triggers (migration 0006). It passes the
// archivaltest conformance suite and mirrors memarchival's semantics: the same validation and
// defaults, the same filters applied alike to both candidate lists, candidate lists max(50, 5k)
// deep, tie-aware dense ranks (rank.Ranks), fusion by rank.Default and the same tie-breaks.
//
// Differences that PostgreSQL imposes, all documented where they arise:
//   - Times are kept to the microsecond (truncated) and returned in UTC.
//   - Strings (id, agent, text, key, tags, ...) must be valid UTF-8 without NUL bytes: Upsert
//     answers ErrInvalid for others, and lookups by such an id find nothing.
//   - The lexical half stems and drops stopwords with PostgreSQL's english configuration, and its
//     BM25 statistics (N, avgdl, df) are per agent, read from archival_stats, which triggers keep
//     in step with passages (migration 0002), as they keep passage_terms (0006). Its idf is ln(1 + (N-df+0.5)/(df+0.5)), always
//     positive, as memarchival's (lexindex).
//   - The key rule and the history (archival.ResolveKey, archival.Diff) run inside the upsert's
//     transaction, as in memarchival; writers of one agent are serialized by a row lock.
//   - Dense search is approximate (HNSW with m 32 and ef_construction 128, searched at ef_search
//     300 or more, iterative scan in relaxed order) when the planner uses the index, and exact
//     when it judges a scan of the agent's rows cheaper; it needs pgvector 0.8 or later.
//
// Every error is wrapped with the operation ("pgarchival: get p1: ...") and passed through
// pgdb.Classify, so that errors.Is(err, pgdb.ErrUnavailable) (and archival.ErrUnavailable) holds
// when the database cannot be reached. Contract errors wrap archival's sentinels.
package pgarchival

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/memsvc/memsvc/archival"
	"github.com/memsvc/memsvc/pgdb"
)

// MaxK is the largest number of hits one Search may ask for (as in memarchival).
const MaxK = 1000

// Store is the PostgreSQL archival store. It is safe for concurrent use; it holds no state of its
// own, so any number of Stores (in any number of processes) may share one database.
type Store struct {
	pool *pgxpool.Pool
	dim  int
}

var _ archival.Store = (*Store)(nil)

// New returns a store over pool, whose connections must have pgvector's types registered and
// whose database is migrated with vectors of length dim (pgdb.Open does both, and checks dim
// against the database). It does no I/O.
func New(pool *pgxpool.Pool, dim int) *Store {
	return &Store{pool: pool, dim: dim}
}

// Dim is the vector dimension the store was opened with.
func (s *Store) Dim() int { return s.dim }

// dbErr prepares an error of a database call for the caller: it wraps ctx's error when ctx cut
// the call short (the driver may report that in its own words), and marks errors that mean the
// database is unreachable with pgdb.ErrUnavailable.
func dbErr(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	if c := ctx.Err(); c != nil && !errors.Is(err, c) {
		err = fmt.Errorf("%w: %w", c, err)
	}
	return pgdb.Classify(err)
}

// writeErr is dbErr for writes: PostgreSQL's data exceptions (SQLSTATE class 22, such as a
// string it cannot store) mean the input was malformed, so they wrap archival.ErrInvalid.
func writeErr(ctx context.Context, err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && strings.HasPrefix(pgErr.Code, "22") {
		return fmt.Errorf("%w: %w", archival.ErrInvalid, err)
	}
	return dbErr(ctx, err)
}
