package outbox

import (
	"context"
	"hash/fnv"
	"slices"
	"sync"
)

// stripes is the number of in-process locks agents are hashed onto. Two agents on one stripe
// only wait for each other; a larger number buys nothing for a handful of concurrent writers.
const stripes = 256

// Locker serializes writers per agent within one process: each agent maps to one of a fixed set
// of striped locks, taken in ascending order, each wait honouring ctx. The zero value is ready.
type Locker struct {
	once sync.Once
	ch   [stripes]chan struct{}
}

// Stripe returns the index of agent's lock.
func Stripe(agent string) int {
	h := fnv.New32a()
	h.Write([]byte(agent))
	return int(h.Sum32() % stripes)
}

// Lock takes the locks of agents and returns the function that releases them. When ctx ends
// first it releases what it took and returns ctx's error.
func (l *Locker) Lock(ctx context.Context, agents []string) (func(), error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	l.once.Do(func() {
		for i := range l.ch {
			l.ch[i] = make(chan struct{}, 1)
		}
	})
	idx := make([]int, 0, len(agents))
	for _, a := range agents {
		idx = append(idx, Stripe(a))
	}
	slices.Sort(idx)
	idx = slices.Compact(idx)
	unlock := func(n int) {
		for _, i := range idx[:n] {
			<-l.ch[i]
		}
	}
	for n, i := range idx {
		select {
		case l.ch[i] <- struct{}{}:
		case <-ctx.Done():
			unlock(n)
			return nil, ctx.Err()
		}
	}
	var once sync.Once
	return func() { once.Do(func() { unlock(len(idx)) }) }, nil
}
