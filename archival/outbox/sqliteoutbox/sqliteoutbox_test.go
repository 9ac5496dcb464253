package sqliteoutbox_test

import (
	"context"
	"testing"

	"github.com/memsvc/memsvc/archival/outbox"
	"github.com/memsvc/memsvc/archival/outbox/outboxtest"
	"github.com/memsvc/memsvc/archival/outbox/sqliteoutbox"
	"github.com/memsvc/memsvc/sqlitedb"
)

func TestConformance(t *testing.T) {
	outboxtest.Run(t, func(t *testing.T) (outbox.Store, outbox.Store) {
		db, err := sqlitedb.Open(context.Background(), t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return sqliteoutbox.New(db), sqliteoutbox.New(db)
	})
}
