package qdrantarchival_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/qdrant/go-client/qdrant"

	"github.com/memsvc/memsvc/archival"
	"github.com/memsvc/memsvc/archival/archivaltest"
	"github.com/memsvc/memsvc/archival/outbox"
	"github.com/memsvc/memsvc/archival/outbox/pgoutbox"
	"github.com/memsvc/memsvc/archival/outbox/sqliteoutbox"
	"github.com/memsvc/memsvc/archival/qdrantarchival"
	"github.com/memsvc/memsvc/archival/qdrantarchival/qdranttest"
	"github.com/memsvc/memsvc/pgdb/pgdbtest"
	"github.com/memsvc/memsvc/sqlitedb"
)

const dim = 16

// sqliteOutbox returns an outbox in a fresh SQLite database in dir, closed when t ends.
func sqliteOutbox(t testing.TB, dir string) outbox.Store {
	t.Helper()
	db, err := sqlitedb.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return sqliteoutbox.New(db)
}

// config is a store configuration for addr (host:port) and collection.
func config(t testing.TB, addr, collection string, ob outbox.Store) qdrantarchival.Config {
	t.Helper()
	cfg, err := configFor(addr, collection, ob)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func configFor(addr, collection string, ob outbox.Store) (qdrantarchival.Config, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return qdrantarchival.Config{}, err
	}
	p, err := strconv.Atoi(port)
	return qdrantarchival.Config{Host: host, Port: p, Collection: collection, Dim: dim, Outbox: ob,
		DrainInterval: 50 * time.Millisecond}, err
}

// open opens a store with cfg, closed when t ends.
func open(t testing.TB, cfg qdrantarchival.Config) *qdrantarchival.Store {
	t.Helper()
	s, err := qdrantarchival.New(context.Background(), cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// fake returns a store on a fresh protocol test server with a SQLite outbox, and the server.
func fake(t testing.TB) (*qdrantarchival.Store, *qdranttest.Server) {
	t.Helper()
	srv := qdranttest.Start(t)
	return open(t, config(t, srv.Addr, "passages", sqliteOutbox(t, t.TempDir()))), srv
}

// TestConformance runs the archival suite against the protocol test server (not a Qdrant: see
// package qdranttest), with the embedded SQLite outbox.
func TestConformance(t *testing.T) {
	archivaltest.Run(t, func(t *testing.T) archival.Store {
		s, _ := fake(t)
		return s
	}, collectionWideIDF)
}

// TestConformancePostgresOutbox runs the suite with the outbox and history in PostgreSQL (where
// TEST_DATABASE_URL names one), against the protocol test server.
func TestConformancePostgresOutbox(t *testing.T) {
	archivaltest.Run(t, func(t *testing.T) archival.Store {
		srv := qdranttest.Start(t)
		return open(t, config(t, srv.Addr, "passages", pgoutbox.New(pgdbtest.Pool(t, dim))))
	}, collectionWideIDF)
}

// collectionWideIDF: Qdrant's IDF modifier counts N and df over the whole collection (see the
// package comment), so an agent's lexical scores move with other agents' points.
var collectionWideIDF = archivaltest.Skip{Test: "LexicalStatsPerAgent",
	Why: "Qdrant's IDF modifier computes its statistics over the whole collection, not per agent"}

// realQdrant returns TEST_QDRANT_ADDR (host:port of a real Qdrant's gRPC endpoint), or skips the
// test when it is unset, unless MEMSVC_REQUIRE_QDRANT=1, where it fails.
func realQdrant(t testing.TB) string {
	t.Helper()
	addr := os.Getenv("TEST_QDRANT_ADDR")
	if addr == "" {
		if os.Getenv("MEMSVC_REQUIRE_QDRANT") == "1" {
			t.Fatal("TEST_QDRANT_ADDR is unset but MEMSVC_REQUIRE_QDRANT=1")
		}
		t.Skip("TEST_QDRANT_ADDR is unset: set it to a Qdrant's gRPC host:port (e.g. localhost:6334) to test against it")
	}
	return addr
}

var nonName = regexp.MustCompile(`[^a-z0-9_]+`)

// testCollection names a collection after t with a random suffix, and drops it when t ends.
func testCollection(t testing.TB, addr string) string {
	t.Helper()
	var b [4]byte
	_, _ = rand.Read(b[:])
	name := strings.Trim(nonName.ReplaceAllString(strings.ToLower(t.Name()), "_"), "_")
	if len(name) > 60 {
		name = name[len(name)-60:]
	}
	name = "memsvc_test_" + name + "_" + hex.EncodeToString(b[:])
	t.Cleanup(func() {
		host, port, _ := net.SplitHostPort(addr)
		p, _ := strconv.Atoi(port)
		c, err := qdrant.NewClient(&qdrant.Config{Host: host, Port: p, SkipCompatibilityCheck: true, PoolSize: 1})
		if err != nil {
			t.Errorf("drop collection %s: %v", name, err)
			return
		}
		defer c.Close()
		if err := c.DeleteCollection(context.Background(), name); err != nil {
			t.Errorf("drop collection %s: %v", name, err)
		}
	})
	return name
}

// TestConformanceRealQdrant runs the suite against the Qdrant at TEST_QDRANT_ADDR, each subtest
// in a collection named after it.
func TestConformanceRealQdrant(t *testing.T) {
	addr := realQdrant(t)
	archivaltest.Run(t, func(t *testing.T) archival.Store {
		return open(t, config(t, addr, testCollection(t, addr), sqliteOutbox(t, t.TempDir())))
	}, collectionWideIDF)
}
