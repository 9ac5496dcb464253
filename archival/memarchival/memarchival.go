// Package memarchival is the embedded archival backend: passages live in the `passages` table of
// memsvc's SQLite database (see package sqlitedb), lexical search uses an in-process per-agent
// BM25 index (lexindex: each agent's statistics are its own, and a search costs the agent's
// postings of the query's terms), and dense search uses an in-process vecindex.HNSW over float16
// vectors (scores within 1e-3 of the cosine): whole scans for small agents (below about 60k
// passages at dimension 100, 10k at 612) and a graph beyond,
// linked in the background, so that writes, which update the indexes under the store's write
// lock, never wait for a graph.
//
// The rows are the source of truth. New rebuilds from them both indexes and a small map of
// the fields search filters on (status, validity interval, tags, created_at), found by agent and
// id, so that both candidate lists are filtered in memory by one rule, with no row lookups. Writes update the memory copy only after their transaction
// commits, and are serialized inside the Store so the copy follows the commit order. Only this
// Store may write the passages table while it is open; it does not own db and never closes it.
//
// Encodings: vectors are little-endian float32 BLOBs, times are unix nanoseconds (returned in
// UTC), tags a JSON array (never null), metadata a JSON object or NULL. Errors wrap the sentinel
// errors of package archival.
package memarchival

import (
	"context"
	"database/sql"
	"fmt"
	"sync"

	"github.com/memsvc/memsvc/archival"
	"github.com/memsvc/memsvc/lexindex"
	"github.com/memsvc/memsvc/sqlitedb"
	"github.com/memsvc/memsvc/vecindex"
)

// MaxK is the largest number of hits one Search may ask for.
const MaxK = 1000

// Store is the embedded archival store. It is safe for concurrent use.
type Store struct {
	db  *sql.DB
	dim int
	idx *vecindex.HNSW
	lex *lexindex.Index
	// stmts holds the hot paths' statements, prepared once.
	stmts *sqlitedb.Stmts

	// gate serializes writes (transaction plus memory update) with every other writer of the
	// database in this process, and honours ctx while waiting.
	gate *sqlitedb.Gate
	// mu guards the filter fields of every passage, found by agent and id (meta).
	mu   sync.RWMutex
	meta map[string]map[string]*entry

	// near caches the key and text of passages Neighbors has read (see nearCache).
	near nearCache
}

var _ archival.Store = (*Store)(nil)

// New opens the store over db, whose migrations must be applied, with vectors of length dim, and
// loads every passage into memory. A stored vector of another length is ErrDimensionMismatch:
// the database was filled by another embedder.
func New(ctx context.Context, db *sql.DB, dim int) (*Store, error) {
	return newStore(ctx, db, vecindex.NewHNSW(dim))
}

// newStore is New with the vector index given (tests choose its parameters).
func newStore(ctx context.Context, db *sql.DB, idx *vecindex.HNSW) (*Store, error) {
	dim := idx.Dim()
	if dim <= 0 {
		return nil, fmt.Errorf("memarchival: new: dimension %d: %w", dim, archival.ErrInvalid)
	}
	s := &Store{
		db:    db,
		dim:   dim,
		idx:   idx,
		lex:   lexindex.New(),
		stmts: sqlitedb.NewStmts(db),
		gate:  sqlitedb.GateFor(db),
		meta:  make(map[string]map[string]*entry),
	}
	if err := s.load(ctx); err != nil {
		return nil, fmt.Errorf("memarchival: new: %w", err)
	}
	return s, nil
}

// Dim is the vector dimension the store was opened with.
func (s *Store) Dim() int { return s.dim }

// Unlinked returns how many vectors the vector index has yet to link into its graphs (after a
// start-up, or when an agent first outgrows exact search); searches scan them meanwhile.
func (s *Store) Unlinked() int { return s.idx.Unlinked() }

// load fills the indexes and the filter map from the passages table.
func (s *Store) load(ctx context.Context) error {
	rows, err := s.db.QueryContext(ctx, `SELECT agent_id, id, text, context, vector, created_at, valid_from,
		valid_to, status, tags FROM passages`)
	if err != nil {
		return dbErr(ctx, err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			e            entry
			status, tags string
			p            archival.Passage
			blob         []byte
			validTo      sql.NullInt64
		)
		if err := rows.Scan(&e.agentID, &e.id, &p.Text, &p.Context, &blob, &e.createdAt, &e.validFrom, &validTo, &status, &tags); err != nil {
			return err
		}
		if len(blob) != 4*s.dim {
			return fmt.Errorf("passage %s of agent %s has a %d-byte vector, want dimension %d: %w",
				e.id, e.agentID, len(blob), s.dim, archival.ErrDimensionMismatch)
		}
		e.validTo, e.hasValidTo = validTo.Int64, validTo.Valid
		e.status = archival.Status(status)
		if e.tags, err = decodeTags(tags); err != nil {
			return fmt.Errorf("passage %s of agent %s: %w", e.id, e.agentID, err)
		}
		s.idx.Add(e.agentID, e.id, decodeVector(blob))
		text := p.LexicalText()
		s.lex.Add(e.agentID, e.id, text)
		e.textSum = textSum(text)
		s.setEntry(&e)
	}
	return dbErr(ctx, rows.Err())
}

// lockWrite takes the write lock, or gives up when ctx ends first.
func (s *Store) lockWrite(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.gate.Lock(ctx)
}

func (s *Store) unlockWrite() { s.gate.Unlock() }
