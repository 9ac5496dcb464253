package sqlitedb

import (
	"context"
	"testing"
)

func TestVectorRoundTrip(t *testing.T) {
	v := []float32{0, 1, -1.5, 3.25e-8}
	got, err := DecodeVector(EncodeVector(v))
	if err != nil {
		t.Fatal(err)
	}
	for i := range v {
		if got[i] != v[i] {
			t.Fatalf("got %v, want %v", got, v)
		}
	}
	if _, err := DecodeVector([]byte{1, 2, 3}); err == nil {
		t.Fatal("a 3-byte blob must be an error")
	}
}

func TestMatchQueryIsSafe(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, `INSERT INTO agents (id, name, system, context_window, model, pager, created_at, updated_at)
		VALUES ('a', '', '', 1000, '', '{}', 0, 0)`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO messages (id, agent_id, seq, role, content, tokens, created_at)
		VALUES ('m1', 'a', 1, 'user', 'Alice moved to Berlin', 5, 0)`); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`"`, `NEAR(a b)`, `*`, `-berlin`, `alice AND OR NOT`, `ü ñ 東京`, `a:b`, `(`, `berlin^`} {
		m := MatchQuery(q)
		if m == "" {
			continue
		}
		if _, err := db.ExecContext(ctx, `SELECT rowid FROM messages_fts WHERE messages_fts MATCH ?`, m); err != nil {
			t.Errorf("MatchQuery(%q) = %q: %v", q, m, err)
		}
	}
	var n int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM messages_fts WHERE messages_fts MATCH ?`, MatchQuery("where is BERLIN?")).Scan(&n); err != nil || n != 1 {
		t.Fatalf("match berlin: n=%d err=%v", n, err)
	}
	if MatchQuery("!!! ???") != "" {
		t.Fatal("text without words must give an empty query")
	}
}
