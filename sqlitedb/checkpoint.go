package sqlitedb

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"sync"
	"time"
)

// Checkpointer copies the write-ahead log into the database file in the background. Open turns
// SQLite's automatic checkpoint off (wal_autocheckpoint=0), because an automatic checkpoint runs
// inside whichever commit crosses the threshold and stalls that request for the whole copy and
// fsync. A PASSIVE checkpoint here never blocks writers or readers.
type Checkpointer struct {
	DB       *sql.DB
	Interval time.Duration // default 1s
	Logger   *slog.Logger

	mu     sync.Mutex
	cancel context.CancelFunc
	done   chan struct{}
}

// Start begins checkpointing every Interval until Stop.
func (c *Checkpointer) Start(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cancel != nil {
		return errors.New("sqlitedb: checkpointer already started")
	}
	if c.Interval <= 0 {
		c.Interval = time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	ctx, c.cancel = context.WithCancel(context.WithoutCancel(ctx))
	c.done = make(chan struct{})
	go func() {
		defer close(c.done)
		t := time.NewTicker(c.Interval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if err := Checkpoint(ctx, c.DB, "PASSIVE"); err != nil && ctx.Err() == nil {
					c.Logger.Warn("wal checkpoint", "err", err)
				}
			}
		}
	}()
	return nil
}

// Stop ends the background checkpoints, then truncates the log once.
func (c *Checkpointer) Stop() error {
	c.mu.Lock()
	cancel, done := c.cancel, c.done
	c.cancel = nil
	c.mu.Unlock()
	if cancel == nil {
		return nil
	}
	cancel()
	<-done
	ctx, stop := context.WithTimeout(context.Background(), 10*time.Second)
	defer stop()
	return Checkpoint(ctx, c.DB, "TRUNCATE")
}

// Checkpoint runs one checkpoint of the given mode (PASSIVE, FULL, RESTART or TRUNCATE).
func Checkpoint(ctx context.Context, db *sql.DB, mode string) error {
	switch mode {
	case "PASSIVE", "FULL", "RESTART", "TRUNCATE":
	default:
		return errors.New("sqlitedb: unknown checkpoint mode " + mode)
	}
	var busy, logFrames, done int
	return db.QueryRowContext(ctx, "PRAGMA wal_checkpoint("+mode+")").Scan(&busy, &logFrames, &done)
}
