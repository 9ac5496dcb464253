package stores_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/memsvc/memsvc/archival"
	"github.com/memsvc/memsvc/archival/qdrantarchival"
	"github.com/memsvc/memsvc/archival/qdrantarchival/qdranttest"
	"github.com/memsvc/memsvc/pgdb/pgdbtest"
	"github.com/memsvc/memsvc/sqlitedb"
	"github.com/memsvc/memsvc/stores"
)

const dim = 8

// TestQdrantArchival opens the embedded state store (and PostgreSQL's, where TEST_DATABASE_URL
// names one) with archival in Qdrant (the protocol test server): passages go to Qdrant, their
// history to the state store's database, and Ping covers both.
func TestQdrantArchival(t *testing.T) {
	for _, kind := range []string{"embedded", "postgres"} {
		t.Run(kind, func(t *testing.T) {
			srv := qdranttest.Start(t)
			cfg := stores.Config{Store: "embedded", Data: t.TempDir(), Archival: "qdrant://" + srv.Addr + "/mem", Dim: dim, Migrate: true}
			if kind == "postgres" {
				cfg.Store = pgdbtest.Schema(t)
			}
			ctx := context.Background()
			st, err := stores.Open(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			q, ok := st.Archival.(*qdrantarchival.Store)
			if !ok || q.Collection() != "mem" {
				t.Fatalf("archival store %T, want Qdrant's on collection mem", st.Archival)
			}
			v := make([]float32, dim)
			v[0] = 1
			if err := st.Archival.Upsert(ctx, []archival.Passage{{ID: "p", AgentID: "a", Text: "lighthouse keeper", Vector: v}}); err != nil {
				t.Fatal(err)
			}
			if srv.PointCount("mem") != 1 {
				t.Fatal("the passage is not in Qdrant")
			}
			if h, err := st.Archival.History(ctx, "a", "p"); err != nil || len(h) != 1 {
				t.Fatalf("history %v %v", h, err)
			}
			if err := st.Ping(ctx); err != nil {
				t.Fatal(err)
			}
			srv.SetDown(true)
			if err := st.Ping(ctx); err == nil {
				t.Fatal("Ping with Qdrant down succeeded")
			}
		})
	}
}

func TestArchivalValidation(t *testing.T) {
	for _, bad := range []string{"qdrant://", "http://localhost:6334", "qdrant://h:notaport"} {
		if err := stores.CheckArchival(bad); err == nil {
			t.Errorf("CheckArchival(%q) accepted", bad)
		}
		if _, err := stores.Open(context.Background(), stores.Config{Data: t.TempDir(), Archival: bad, Dim: dim}); err == nil {
			t.Errorf("Open with archival %q succeeded", bad)
		}
	}
	for _, good := range []string{"", "qdrant://localhost:6334", "qdrant://key@q.example:6334/coll?tls=true"} {
		if err := stores.CheckArchival(good); err != nil {
			t.Errorf("CheckArchival(%q): %v", good, err)
		}
	}
}

// TestJobQueueOwnFile: on the embedded store the job queue's tables live in jobs.db, not in
// memsvc.db, so that River's writes never take the state store's write lock.
func TestJobQueueOwnFile(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	st, err := stores.Open(ctx, stores.Config{Store: "embedded", Data: dir, Dim: dim})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	has := func(file string) bool {
		db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, file)+"?mode=ro")
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var n int
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE name = 'river_job'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n == 1
	}
	if !has(sqlitedb.JobsFileName) || has(sqlitedb.FileName) {
		t.Fatalf("river_job in %s: %v, in %s: %v; want only the former", sqlitedb.JobsFileName, has(sqlitedb.JobsFileName),
			sqlitedb.FileName, has(sqlitedb.FileName))
	}
}
