package pgoutbox_test

import (
	"context"
	"testing"

	"github.com/memsvc/memsvc/archival/outbox"
	"github.com/memsvc/memsvc/archival/outbox/outboxtest"
	"github.com/memsvc/memsvc/archival/outbox/pgoutbox"
	"github.com/memsvc/memsvc/pgdb"
	"github.com/memsvc/memsvc/pgdb/pgdbtest"
)

// TestConformance runs the suite with two pools over one schema, as two replicas would share it.
func TestConformance(t *testing.T) {
	outboxtest.Run(t, func(t *testing.T) (outbox.Store, outbox.Store) {
		url := pgdbtest.Schema(t)
		open := func() outbox.Store {
			pool, err := pgdb.Open(context.Background(), pgdb.Config{URL: url, Dim: 8, Migrate: true})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(pool.Close)
			return pgoutbox.New(pool)
		}
		return open(), open()
	})
}
