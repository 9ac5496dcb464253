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

func TestIdempotencyFirstAnswerWins(t *testing.T) {
	ctx := context.Background()
	db, err := sqlitedb.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	s := sqlitestate.New(db)
	defer s.Close()
	if _, _, ok, err := s.Lookup(ctx, "k"); ok || err != nil {
		t.Fatalf("empty lookup: ok=%v err=%v", ok, err)
	}
	if err := s.Save(ctx, "k", 201, []byte(`{"a":1}`)); err != nil {
		t.Fatal(err)
	}
	if err := s.Save(ctx, "k", 200, []byte(`{"a":2}`)); err != nil {
		t.Fatal(err)
	}
	st, body, ok, err := s.Lookup(ctx, "k")
	if err != nil || !ok || st != 201 || string(body) != `{"a":1}` {
		t.Fatalf("lookup = %d %s %v %v", st, body, ok, err)
	}
}
