package api_test

import (
	"github.com/memsvc/memsvc/api"
	"github.com/memsvc/memsvc/pager"
	"github.com/memsvc/memsvc/state/sqlitestate"
)

// The pager is the Memory the API serves.
var _ api.Memory = (*pager.Service)(nil)

// The embedded state store keeps idempotent answers.
var _ api.Idempotency = (*sqlitestate.Store)(nil)
