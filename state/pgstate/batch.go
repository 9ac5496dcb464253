package pgstate

import (
	"context"

	"github.com/jackc/pgx/v5"
)

// batch is a pgx.Batch whose statements carry a name for their errors. Sent outside a
// transaction, a batch runs as one implicit transaction (see pgx.Conn.SendBatch): all or nothing.
type batch struct {
	b   pgx.Batch
	ops []string
}

func (b *batch) queue(op, sql string, args ...any) {
	b.b.Queue(sql, args...)
	b.ops = append(b.ops, op)
}

func (b *batch) len() int { return len(b.ops) }

type batchSender interface {
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
}

// send sends the batch in one round trip and returns the first statement's error, named.
func (b *batch) send(ctx context.Context, to batchSender) error {
	br := to.SendBatch(ctx, &b.b)
	for _, op := range b.ops {
		if _, err := br.Exec(); err != nil {
			br.Close()
			return wrap(op, err)
		}
	}
	if err := br.Close(); err != nil {
		return wrap("batch", err)
	}
	return nil
}
