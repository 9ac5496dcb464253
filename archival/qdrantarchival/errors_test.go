package qdrantarchival_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/qdrant/go-client/qdrant"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/memsvc/memsvc/archival"
	"github.com/memsvc/memsvc/archival/qdrantarchival"
)

func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: error %v, want one wrapping %v", what, err, target)
	}
}

// every calls each read and write of the store and returns their errors by name.
func every(s *qdrantarchival.Store) map[string]error {
	ctx := context.Background()
	errs := map[string]error{}
	_, errs["Get"] = s.Get(ctx, "a", "p")
	_, errs["Search"] = s.Search(ctx, archival.Query{AgentID: "a", Text: "tea", Vector: axis(0), K: 3})
	_, errs["Count"] = s.Count(ctx, "a")
	_, errs["History"] = s.History(ctx, "a", "p")
	errs["Upsert"] = s.Upsert(ctx, []archival.Passage{{ID: "new", AgentID: "a", Text: "new tea", Vector: axis(1)}})
	errs["Delete"] = s.Delete(ctx, "a", "p")
	errs["DeleteAgent"] = s.DeleteAgent(ctx, "b")
	return errs
}

// TestUnavailable: while Qdrant answers Unavailable every call fails with ErrUnavailable, no
// write reaches the outbox, and everything works once it is back.
func TestUnavailable(t *testing.T) {
	s, srv := fake(t)
	upsert(t, s, archival.Passage{ID: "p", AgentID: "a", Text: "tea", Vector: axis(0)})
	srv.SetDown(true)
	for name, err := range every(s) {
		wantErr(t, name+" while Qdrant is down", err, archival.ErrUnavailable)
	}
	if n, err := s.Drain(context.Background()); n != 0 || err != nil {
		t.Fatalf("drain: %d %v, want nothing pending (the writes failed before their intent was stored)", n, err)
	}
	srv.SetDown(false)
	for name, err := range every(s) {
		if err != nil {
			t.Errorf("%s once Qdrant is back: %v", name, err)
		}
	}
}

// TestServerGone: a Qdrant that stopped listening (connection refused) is ErrUnavailable too, and
// New fails with it.
func TestServerGone(t *testing.T) {
	s, srv := fake(t)
	srv.Stop()
	for name, err := range every(s) {
		wantErr(t, name+" after the server stopped", err, archival.ErrUnavailable)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err = qdrantarchival.New(ctx, config(t, addr, "passages", sqliteOutbox(t, t.TempDir())))
	wantErr(t, "New on a closed port", err, archival.ErrUnavailable)
}

// TestMissingCollection: a collection dropped under a running store makes calls fail with
// ErrUnavailable (Qdrant's NotFound), never ErrNotFound, which would say the passage is gone.
func TestMissingCollection(t *testing.T) {
	s, srv := fake(t)
	upsert(t, s, archival.Passage{ID: "p", AgentID: "a", Text: "tea", Vector: axis(0)})
	c, err := qdrant.NewClient(&qdrant.Config{Host: "127.0.0.1", Port: port(t, srv.Addr), SkipCompatibilityCheck: true, PoolSize: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.DeleteCollection(context.Background(), "passages"); err != nil {
		t.Fatal(err)
	}
	for name, err := range every(s) {
		wantErr(t, name+" without the collection", err, archival.ErrUnavailable)
		if errors.Is(err, archival.ErrNotFound) || !strings.Contains(err.Error(), "collection") {
			t.Errorf("%s: %v, want it to say the collection is missing", name, err)
		}
	}
}

func port(t *testing.T, addr string) int {
	t.Helper()
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, c := range p {
		n = 10*n + int(c-'0')
	}
	return n
}

// TestDimensionMismatch: a collection made for another embedder is refused at start-up, and a
// dimension error from Qdrant maps to ErrDimensionMismatch.
func TestDimensionMismatch(t *testing.T) {
	s, srv := fake(t)
	cfg := config(t, srv.Addr, s.Collection(), sqliteOutbox(t, t.TempDir()))
	cfg.Dim = dim / 2
	_, err := qdrantarchival.New(context.Background(), cfg)
	wantErr(t, "New over a collection of another dimension", err, archival.ErrDimensionMismatch)

	// The protocol server answers a wrong length as Qdrant words it ...
	c, err := qdrant.NewClient(&qdrant.Config{Host: "127.0.0.1", Port: port(t, srv.Addr), SkipCompatibilityCheck: true, PoolSize: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, qerr := c.Query(context.Background(), &qdrant.QueryPoints{CollectionName: "passages",
		Query: qdrant.NewQueryDense(make([]float32, dim+1)), Using: qdrant.PtrOf("dense")})
	if status.Code(qerr) != codes.InvalidArgument || !strings.Contains(qerr.Error(), "Vector dimension error") {
		t.Fatalf("protocol server: %v", qerr)
	}
	// ... and the store maps that answer (the store itself never sends a wrong length).
	srv.FailNext("QueryBatch", qerr)
	_, err = s.Search(context.Background(), archival.Query{AgentID: "a", Vector: axis(0), K: 1})
	wantErr(t, "Search answered with a dimension error", err, archival.ErrDimensionMismatch)
	srv.FailNext("QueryBatch", status.Error(codes.InvalidArgument, "Wrong input: something else"))
	_, err = s.Search(context.Background(), archival.Query{AgentID: "a", Vector: axis(0), K: 1})
	wantErr(t, "Search answered with another InvalidArgument", err, archival.ErrInvalid)
	srv.FailNext("Get", status.Error(codes.ResourceExhausted, "rate limited"))
	_, err = s.Get(context.Background(), "a", "p")
	wantErr(t, "Get answered ResourceExhausted", err, archival.ErrUnavailable)
}

// TestNotFound: a passage Qdrant does not hold is ErrNotFound, for Get, Delete and History.
func TestNotFound(t *testing.T) {
	s, _ := fake(t)
	ctx := context.Background()
	_, err := s.Get(ctx, "a", "nope")
	wantErr(t, "Get", err, archival.ErrNotFound)
	wantErr(t, "Delete", s.Delete(ctx, "a", "nope"), archival.ErrNotFound)
	_, err = s.History(ctx, "a", "nope")
	wantErr(t, "History", err, archival.ErrNotFound)
	_, err = s.Get(ctx, "a", "bad\xffid")
	wantErr(t, "Get of an id protobuf cannot carry", err, archival.ErrNotFound)
}

func TestParseURL(t *testing.T) {
	c, err := qdrantarchival.ParseURL("qdrant://secret@qdrant.internal:7334/mem?tls=true")
	if err != nil || c.Host != "qdrant.internal" || c.Port != 7334 || c.APIKey != "secret" || c.Collection != "mem" || !c.TLS {
		t.Fatalf("ParseURL = %+v, %v", c, err)
	}
	if c, err := qdrantarchival.ParseURL("qdrant://localhost"); err != nil || c.Port != 6334 || c.Collection != "" || c.Addr() != "localhost:6334" {
		t.Fatalf("default port: %+v, %v", c, err)
	}
	for _, bad := range []string{"http://localhost:6334", "qdrant://", "qdrant://h:0", "qdrant://h:x", "qdrant://h?tls=maybe"} {
		if _, err := qdrantarchival.ParseURL(bad); err == nil {
			t.Errorf("ParseURL(%q) accepted", bad)
		}
	}
}
