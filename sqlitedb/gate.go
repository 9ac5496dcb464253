package sqlitedb

import (
	"context"
	"database/sql"
	"sync"
)

// Gate serializes the writers of one database within this process. SQLite admits one writer at a
// time and makes the others wait in its busy handler, which sleeps and polls; queueing writers in
// Go instead hands the lock over at once and honours each writer's ctx while it waits. The
// busy_timeout still covers writers in other processes.
type Gate struct{ ch chan struct{} }

var gates sync.Map // *sql.DB -> *Gate

// GateFor returns the write gate shared by every user of db in this process.
func GateFor(db *sql.DB) *Gate {
	g, _ := gates.LoadOrStore(db, &Gate{ch: make(chan struct{}, 1)})
	return g.(*Gate)
}

// Lock waits for the gate, or returns ctx's error if ctx ends first.
func (g *Gate) Lock(ctx context.Context) error {
	select {
	case g.ch <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Unlock releases the gate.
func (g *Gate) Unlock() { <-g.ch }
