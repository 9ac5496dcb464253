package stores

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/jackc/pgx/v5"
	"github.com/pgvector/pgvector-go"
	pgxvec "github.com/pgvector/pgvector-go/pgx"

	"github.com/memsvc/memsvc/migrations"
	"github.com/memsvc/memsvc/pgdb"
	"github.com/memsvc/memsvc/sqlitedb"
)

// Embedder is what Reembed needs of a text embedder (embed.Embedder).
type Embedder interface {
	Model() string
	Dim() int
	Embed(ctx context.Context, texts []string) ([][]float32, error)
}

// PassageText is the text whose embedding stands for a stored passage, from its key, its text
// and its source (pager.PassageEmbedText).
type PassageText func(key, text, source, context string) string

// Reembedded says what Reembed did.
type Reembedded struct {
	From, To string // the embedders before and after, as "model/dim" ("" when none was recorded)
	Passages int    // passages embedded again
	Messages int    // messages whose vectors were cleared, for the service to embed again
}

// reembedBatch is how many passages are embedded and written at a time.
const reembedBatch = 256

// Reembed moves the stores cfg names to another embedder: it embeds every archival passage again
// with emb, clears every message's vector (the service's background embedder embeds messages
// without one, and recall search finds them by their words until then, saying how many are
// pending), changes the vector columns to emb's dimension, and records emb as the store's
// embedder, all in one transaction: an interrupted run changes nothing. The service must not be
// running on the same store meanwhile. progress, when not nil, is called with the passages done
// and the total after each batch. cfg.Dim is ignored. Passages kept in Qdrant are refused: a
// collection's dimension is fixed when it is made; export the agents and import them into a
// new collection instead.
func Reembed(ctx context.Context, cfg Config, emb Embedder, text PassageText, progress func(done, total int)) (Reembedded, error) {
	cfg.Dim = emb.Dim()
	if err := cfg.validate(); err != nil {
		return Reembedded{}, err
	}
	if cfg.Archival != "" {
		return Reembedded{}, errors.New("stores: re-embedding passages kept in Qdrant is not supported (a collection's " +
			"dimension is fixed): export the agents and import them into a service with a new collection")
	}
	if progress == nil {
		progress = func(int, int) {}
	}
	to := fmt.Sprintf("%s/%d", emb.Model(), emb.Dim())
	if IsPostgres(cfg.Store) {
		return reembedPostgres(ctx, cfg.Store, emb, text, progress, to)
	}
	return reembedSQLite(ctx, cfg.Data, emb, text, progress, to)
}

// pendingPassage is a passage read for re-embedding.
type pendingPassage struct {
	agentID, id string
	rowid       int64
	text        string
}

func embedPassages(ctx context.Context, emb Embedder, batch []pendingPassage) ([][]float32, error) {
	texts := make([]string, len(batch))
	for i, p := range batch {
		texts[i] = p.text
	}
	vecs, err := emb.Embed(ctx, texts)
	if err != nil {
		return nil, fmt.Errorf("stores: re-embed: %w", err)
	}
	if len(vecs) != len(batch) {
		return nil, fmt.Errorf("stores: re-embed: %d vectors for %d texts", len(vecs), len(batch))
	}
	for _, v := range vecs {
		if len(v) != emb.Dim() {
			return nil, fmt.Errorf("stores: re-embed: a %d-d vector from a %d-d embedder", len(v), emb.Dim())
		}
	}
	return vecs, nil
}

// reembedPassages embeds the passages read batch by batch (read returns the batch after the
// last one, empty when done) and writes their vectors, calling progress after each batch; it
// returns how many it re-embedded.
func reembedPassages(ctx context.Context, emb Embedder, total int, progress func(int, int),
	read func() ([]pendingPassage, error), write func([]pendingPassage, [][]float32) error) (int, error) {
	done := 0
	progress(0, total)
	for {
		batch, err := read()
		if err != nil {
			return done, fmt.Errorf("stores: re-embed: read passages: %w", err)
		}
		if len(batch) == 0 {
			return done, nil
		}
		vecs, err := embedPassages(ctx, emb, batch)
		if err != nil {
			return done, err
		}
		if err := write(batch, vecs); err != nil {
			return done, fmt.Errorf("stores: re-embed: write passages: %w", err)
		}
		done += len(batch)
		progress(done, total)
	}
}

// scanPassages reads rows of (the columns ids names, key, text, source, context) into passages whose
// text is the one to embed.
func scanPassages(rows interface {
	Next() bool
	Scan(dest ...any) error
}, text PassageText, ids func(*pendingPassage) []any) ([]pendingPassage, error) {
	var batch []pendingPassage
	for rows.Next() {
		var p pendingPassage
		var key, body, source, context string
		if err := rows.Scan(append(ids(&p), &key, &body, &source, &context)...); err != nil {
			return nil, err
		}
		p.text = text(key, body, source, context)
		batch = append(batch, p)
	}
	return batch, nil
}

func reembedSQLite(ctx context.Context, dir string, emb Embedder, text PassageText, progress func(int, int), to string) (Reembedded, error) {
	out := Reembedded{To: to}
	if _, err := os.Stat(filepath.Join(dir, sqlitedb.FileName)); err != nil {
		return out, fmt.Errorf("stores: re-embed: no embedded store in %s (--data): %w", dir, err)
	}
	unlock, err := lockData(dir, true)
	if errors.Is(err, errLocked) {
		return out, fmt.Errorf("stores: re-embed: %s is open in a running memsvc (serve, mcp or keys): stop it first", dir)
	}
	if err != nil {
		return out, err
	}
	defer unlock()
	db, err := sqlitedb.Open(ctx, dir)
	if err != nil {
		return out, err
	}
	defer db.Close()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return out, fmt.Errorf("stores: re-embed: begin: %w", err)
	}
	defer tx.Rollback()
	if err := tx.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = 'embedder'`).Scan(&out.From); err != nil &&
		!errors.Is(err, sql.ErrNoRows) {
		return out, fmt.Errorf("stores: re-embed: read embedder: %w", err)
	}
	var total int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM passages`).Scan(&total); err != nil {
		return out, fmt.Errorf("stores: re-embed: count passages: %w", err)
	}
	last := int64(-1)
	read := func() ([]pendingPassage, error) {
		rows, err := tx.QueryContext(ctx, `SELECT rowid, key, text, source, context FROM passages WHERE rowid > ? ORDER BY rowid LIMIT ?`,
			last, reembedBatch)
		if err != nil {
			return nil, err
		}
		batch, err := scanPassages(rows, text, func(p *pendingPassage) []any { return []any{&p.rowid} })
		if err = errors.Join(err, rows.Err(), rows.Close()); err != nil || len(batch) == 0 {
			return nil, err
		}
		last = batch[len(batch)-1].rowid
		return batch, nil
	}
	write := func(batch []pendingPassage, vecs [][]float32) error {
		for i, p := range batch {
			if _, err := tx.ExecContext(ctx, `UPDATE passages SET vector = ? WHERE rowid = ?`,
				sqlitedb.EncodeVector(vecs[i]), p.rowid); err != nil {
				return err
			}
		}
		return nil
	}
	if out.Passages, err = reembedPassages(ctx, emb, total, progress, read, write); err != nil {
		return out, err
	}
	res, err := tx.ExecContext(ctx, `UPDATE messages SET vector = NULL WHERE vector IS NOT NULL`)
	if err != nil {
		return out, fmt.Errorf("stores: re-embed: clear message vectors: %w", err)
	}
	n, _ := res.RowsAffected()
	out.Messages = int(n)
	if _, err := tx.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES ('embedder', ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`, to); err != nil {
		return out, fmt.Errorf("stores: re-embed: record embedder: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return out, fmt.Errorf("stores: re-embed: commit: %w", err)
	}
	return out, nil
}

func reembedPostgres(ctx context.Context, url string, emb Embedder, text PassageText, progress func(int, int), to string) (Reembedded, error) {
	out := Reembedded{To: to}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return out, fmt.Errorf("stores: re-embed: connect: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	// Pending migrations apply under the dimension the database has.
	have, err := pgdb.StoredDim(ctx, url)
	if err != nil {
		return out, err
	}
	if have == 0 {
		return out, errors.New("stores: re-embed: the database holds no memsvc store (no meta table): check --store")
	}
	if _, err := migrations.ApplyPostgres(ctx, conn, have); err != nil {
		return out, err
	}
	if err := pgxvec.RegisterTypes(ctx, conn); err != nil {
		return out, fmt.Errorf("stores: re-embed: register vector types: %w", err)
	}
	tx, err := conn.Begin(ctx)
	if err != nil {
		return out, fmt.Errorf("stores: re-embed: begin: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if err := tx.QueryRow(ctx, `SELECT value FROM meta WHERE key = 'embedder'`).Scan(&out.From); err != nil &&
		!errors.Is(err, pgx.ErrNoRows) {
		return out, fmt.Errorf("stores: re-embed: read embedder: %w", err)
	}
	// The vector columns take the new dimension; the passages' index is built again at the end,
	// once, rather than updated row by row.
	dim := emb.Dim()
	for _, q := range []string{
		`LOCK TABLE passages, messages IN ACCESS EXCLUSIVE MODE`,
		`DROP INDEX IF EXISTS passages_embedding`,
		`ALTER TABLE passages ALTER COLUMN embedding DROP NOT NULL`,
		fmt.Sprintf(`ALTER TABLE passages ALTER COLUMN embedding TYPE vector(%d) USING NULL`, dim),
		fmt.Sprintf(`ALTER TABLE messages ALTER COLUMN embedding TYPE vector(%d) USING NULL`, dim),
	} {
		if _, err := tx.Exec(ctx, q); err != nil {
			return out, fmt.Errorf("stores: re-embed: %s: %w", q, err)
		}
	}
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM messages`).Scan(&out.Messages); err != nil {
		return out, fmt.Errorf("stores: re-embed: count messages: %w", err)
	}
	var total int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM passages`).Scan(&total); err != nil {
		return out, fmt.Errorf("stores: re-embed: count passages: %w", err)
	}
	lastAgent, lastID := "", ""
	read := func() ([]pendingPassage, error) {
		rows, err := tx.Query(ctx, `SELECT agent_id, id, key, text, source, context FROM passages
			WHERE (agent_id, id) > ($1, $2) ORDER BY agent_id, id LIMIT $3`, lastAgent, lastID, reembedBatch)
		if err != nil {
			return nil, err
		}
		batch, err := scanPassages(rows, text, func(p *pendingPassage) []any { return []any{&p.agentID, &p.id} })
		rows.Close()
		if err = errors.Join(err, rows.Err()); err != nil || len(batch) == 0 {
			return nil, err
		}
		lastAgent, lastID = batch[len(batch)-1].agentID, batch[len(batch)-1].id
		return batch, nil
	}
	write := func(batch []pendingPassage, vecs [][]float32) error {
		b := &pgx.Batch{}
		for i, p := range batch {
			b.Queue(`UPDATE passages SET embedding = $1 WHERE agent_id = $2 AND id = $3`,
				pgvector.NewVector(vecs[i]), p.agentID, p.id)
		}
		return tx.SendBatch(ctx, b).Close()
	}
	if out.Passages, err = reembedPassages(ctx, emb, total, progress, read, write); err != nil {
		return out, err
	}
	for _, q := range []string{
		`ALTER TABLE passages ALTER COLUMN embedding SET NOT NULL`,
		`SET LOCAL maintenance_work_mem = '512MB'`,
		// As migration 0006 builds it.
		`CREATE INDEX passages_embedding ON passages USING hnsw (embedding vector_cosine_ops) WITH (m = 32, ef_construction = 128)`,
		fmt.Sprintf(`UPDATE meta SET value = '%d' WHERE key = 'vector_dim'`, dim),
	} {
		if _, err := tx.Exec(ctx, q); err != nil {
			return out, fmt.Errorf("stores: re-embed: %s: %w", q, err)
		}
	}
	if _, err := tx.Exec(ctx, `INSERT INTO meta (key, value) VALUES ('embedder', $1)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`, to); err != nil {
		return out, fmt.Errorf("stores: re-embed: record embedder: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return out, fmt.Errorf("stores: re-embed: commit: %w", err)
	}
	return out, nil
}
