package pgstate_test

import (
	"context"
	"testing"

	"github.com/memsvc/memsvc/pgdb/pgdbtest"
	"github.com/memsvc/memsvc/state"
	"github.com/memsvc/memsvc/state/pgstate"
	"github.com/memsvc/memsvc/state/statetest"
)

// testDim is the vector dimension of the test schemas: statetest's recall test uses 3.
const testDim = 3

func newStore(t *testing.T) *pgstate.Store {
	return pgstate.New(pgdbtest.Pool(t, testDim)) // pgdbtest closes the pool
}

func TestConformance(t *testing.T) {
	statetest.Run(t, func(t *testing.T) state.Store { return newStore(t) })
}

func TestIdempotencyFirstAnswerWins(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
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
	if err := s.Save(ctx, "empty", 204, nil); err != nil {
		t.Fatal(err)
	}
	st, body, ok, err = s.Lookup(ctx, "empty")
	if err != nil || !ok || st != 204 || body == nil || len(body) != 0 {
		t.Fatalf("nil body lookup = %d %q (nil: %v) %v %v", st, body, body == nil, ok, err)
	}
}
