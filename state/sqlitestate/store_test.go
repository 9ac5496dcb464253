package sqlitestate_test

import (
	"context"
	"testing"

	"github.com/memsvc/memsvc/sqlitedb"
	"github.com/memsvc/memsvc/state"
	"github.com/memsvc/memsvc/state/sqlitestate"
	"github.com/memsvc/memsvc/state/statetest"
)

func TestConformance(t *testing.T) {
	statetest.Run(t, func(t *testing.T) state.Store {
		db, err := sqlitedb.Open(context.Background(), t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		s := sqlitestate.New(db)
		t.Cleanup(func() { s.Close() })
		return s
	})
}

func TestIdempotency(t *testing.T) {
	db, err := sqlitedb.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	s := sqlitestate.New(db)
	defer s.Close()
	statetest.Idempotency(t, s)
}
