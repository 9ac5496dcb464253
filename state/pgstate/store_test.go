package pgstate_test

import (
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

func TestIdempotency(t *testing.T) {
	statetest.Idempotency(t, newStore(t))
}
