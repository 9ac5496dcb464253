//go:build unix

package qdrantarchival_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/memsvc/memsvc/archival"
	"github.com/memsvc/memsvc/archival/outbox"
	"github.com/memsvc/memsvc/archival/outbox/pgoutbox"
	"github.com/memsvc/memsvc/archival/outbox/sqliteoutbox"
	"github.com/memsvc/memsvc/archival/qdrantarchival"
	"github.com/memsvc/memsvc/archival/qdrantarchival/qdranttest"
	"github.com/memsvc/memsvc/pgdb"
	"github.com/memsvc/memsvc/pgdb/pgdbtest"
	"github.com/memsvc/memsvc/sqlitedb"
)

// The crash child's environment: set, the test binary runs crashChild instead of the tests.
const (
	crashChildEnv = "QDRANTARCHIVAL_CRASH_CHILD" // "sqlite" or "postgres"
	crashAddrEnv  = "QDRANTARCHIVAL_CRASH_ADDR"  // the protocol server's host:port
	crashDBEnv    = "QDRANTARCHIVAL_CRASH_DB"    // the SQLite data dir or the PostgreSQL URL
)

func TestMain(m *testing.M) {
	if kind := os.Getenv(crashChildEnv); kind != "" {
		os.Exit(crashChild(kind, os.Getenv(crashAddrEnv), os.Getenv(crashDBEnv)))
	}
	os.Exit(m.Run())
}

// crashPassages are the child's two writes: the first is acknowledged; the second supersedes it
// (a new point and a payload patch of the first) and is killed between the outbox and Qdrant.
func crashPassages() (first, second archival.Passage) {
	first = archival.Passage{ID: "first", AgentID: "a", Text: "Alice lives in Paris", Vector: axis(0), Key: "alice/city",
		ValidFrom: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)}
	second = archival.Passage{ID: "second", AgentID: "a", Text: "Alice moved to Lyon", Vector: axis(1), Key: "alice/city",
		ValidFrom: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
	return first, second
}

// crashChild runs in a process of its own: it writes the first passage, then the second, and
// SIGKILLs itself as soon as the second's intent is committed, before Qdrant sees it.
func crashChild(kind, addr, db string) int {
	ctx := context.Background()
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	var ob outbox.Store
	switch kind {
	case "sqlite":
		d, err := sqlitedb.Open(ctx, db)
		if err != nil {
			logger.Error("open", "err", err)
			return 2
		}
		ob = sqliteoutbox.New(d)
	case "postgres":
		pool, err := pgdb.Open(ctx, pgdb.Config{URL: db, Dim: dim, Migrate: true})
		if err != nil {
			logger.Error("open", "err", err)
			return 2
		}
		ob = pgoutbox.New(pool)
	}
	cfg, err := configFor(addr, "passages", ob)
	if err != nil {
		logger.Error("config", "err", err)
		return 2
	}
	cfg.Logger = logger
	s, err := qdrantarchival.New(ctx, cfg)
	if err != nil {
		logger.Error("new", "err", err)
		return 2
	}
	first, second := crashPassages()
	if err := s.Upsert(ctx, []archival.Passage{first}); err != nil {
		logger.Error("first upsert", "err", err)
		return 2
	}
	s.Close()
	cfg.AfterAppend = func() {
		logger.Info("intent committed; killing myself")
		syscall.Kill(os.Getpid(), syscall.SIGKILL)
		time.Sleep(time.Minute)
	}
	if s, err = qdrantarchival.New(ctx, cfg); err != nil {
		logger.Error("new", "err", err)
		return 2
	}
	err = s.Upsert(ctx, []archival.Passage{second})
	logger.Error("the second upsert returned", "err", err)
	return 3
}

// TestCrashBetweenStores kills a real process (SIGKILL) after a write's intent is committed to
// the outbox and before it reaches Qdrant (here the protocol test server, which outlives the
// child), then opens the store again, as a restarted service would: the write is applied before
// New returns, so it is searchable, its key rule change (a payload patch of the earlier value) is
// applied too, and nothing is left pending.
func TestCrashBetweenStores(t *testing.T) {
	for _, kind := range []string{"sqlite", "postgres"} {
		t.Run(kind, func(t *testing.T) {
			srv := qdranttest.Start(t)
			var db string
			var ob outbox.Store
			switch kind {
			case "sqlite":
				db = t.TempDir()
			case "postgres":
				db = pgdbtest.Schema(t)
			}
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), crashChildEnv+"="+kind, crashAddrEnv+"="+srv.Addr, crashDBEnv+"="+db)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			err := cmd.Run()
			t.Logf("child:\n%s", stderr.String())
			var exit *exec.ExitError
			if !errors.As(err, &exit) {
				t.Fatalf("child: %v, want it killed", err)
			}
			if ws, ok := exit.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
				t.Fatalf("child ended with %v, want SIGKILL", exit)
			}

			switch kind {
			case "sqlite":
				ob = sqliteOutbox(t, db)
			case "postgres":
				pool, err := pgdb.Open(context.Background(), pgdb.Config{URL: db, Dim: dim})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(pool.Close)
				ob = pgoutbox.New(pool)
			}
			if n := srv.PointCount("passages"); n != 1 {
				t.Fatalf("Qdrant holds %d points after the crash, want only the first passage", n)
			}
			if n := pending(t, ob); n != 1 {
				t.Fatalf("%d pending entries after the crash, want the killed write's", n)
			}
			if h, err := ob.History(context.Background(), "a", "second"); err != nil || len(h) != 1 {
				t.Fatalf("history committed with the intent: %+v %v", h, err)
			}

			// The restart.
			s := open(t, config(t, srv.Addr, "passages", ob))
			first, second := crashPassages()
			if !searchable(t, s, "a", second.ID, "Lyon") {
				t.Fatal("the killed write is not searchable after the restart")
			}
			got, err := s.Get(context.Background(), "a", first.ID)
			if err != nil || got.Status != archival.StatusSuperseded || got.SupersededBy != second.ID || !got.ValidTo.Equal(second.ValidFrom) {
				t.Fatalf("first after the restart: %+v %v, want superseded by second", got, err)
			}
			if n := pending(t, ob); n != 0 {
				t.Fatalf("%d entries pending after the restart", n)
			}
			h, err := s.History(context.Background(), "a", first.ID)
			if err != nil || fmt.Sprint(actions(h)) != "[created superseded]" {
				t.Fatalf("first's history %v %v", actions(h), err)
			}
		})
	}
}

func actions(h []archival.Event) []string {
	out := make([]string, len(h))
	for i, e := range h {
		out[i] = e.Action
	}
	return out
}
