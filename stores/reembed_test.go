package stores_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/memsvc/memsvc/embed"
	"github.com/memsvc/memsvc/pager"
	"github.com/memsvc/memsvc/pgdb/pgdbtest"
	"github.com/memsvc/memsvc/state"
	"github.com/memsvc/memsvc/stores"
)

// TestReembed moves a store written under the built-in GloVe embedder (100-d) to another
// (GloVe twice, 200-d), on the embedded store and on PostgreSQL: every passage gets a vector of
// the new embedder, equal to what an insert under it would store, messages are pending until the
// service embeds them again, the store then opens only under the new embedder, and searches find
// the passages and messages again.
func TestReembed(t *testing.T) {
	for _, kind := range []string{"embedded", "postgres"} {
		t.Run(kind, func(t *testing.T) {
			ctx, cfg := reembedStore(t, kind)
			glove := embed.NewBuiltin()
			wide, err := embed.NewConcat([]embed.Embedder{glove, glove}, []float64{1, 1})
			if err != nil {
				t.Fatal(err)
			}
			texts := []string{"Alice moved to Berlin in May.", "The deploy key rotates every 90 days.", "Bob's favourite tea is oolong."}

			// Written under GloVe.
			svc, st := openService(t, cfg, glove)
			agent, err := svc.CreateAgent(ctx, pager.AgentSpec{Name: "a"})
			if err != nil {
				t.Fatal(err)
			}
			id := agent.ID
			const situation = "Where does your sister live these days?" // the first text's context
			for i, text := range texts {
				in := pager.PassageInput{Text: text}
				if i == 0 {
					in.Context = situation
				}
				if _, err := svc.InsertPassage(ctx, id, in); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := svc.Append(ctx, id, []pager.MessageInput{{Role: "user", Content: "my sister plays the cello"}}); err != nil {
				t.Fatal(err)
			}
			if _, err := svc.EmbedPending(ctx); err != nil {
				t.Fatal(err)
			}
			st.Close()

			var seen []int
			res, err := stores.Reembed(ctx, cfg, wide, pager.PassageEmbedText, func(done, total int) {
				if total != len(texts) {
					t.Errorf("progress total %d, want %d", total, len(texts))
				}
				seen = append(seen, done)
			})
			if err != nil {
				t.Fatal(err)
			}
			if res.Passages != len(texts) || res.Messages < 1 || res.From != glove.Model()+"/100" || res.To != wide.Model()+"/200" {
				t.Fatalf("reembed %+v", res)
			}
			if len(seen) == 0 || seen[len(seen)-1] != len(texts) {
				t.Fatalf("progress %v", seen)
			}

			// The old embedder is refused now.
			cfg100 := cfg
			cfg100.Dim = glove.Dim()
			old, err := stores.Open(ctx, cfg100)
			if err == nil {
				err = old.State.CheckEmbedder(ctx, glove.Model(), glove.Dim())
				old.Close()
			}
			if err == nil || !strings.Contains(err.Error(), "memsvc reembed") {
				t.Fatalf("the GloVe embedder after re-embedding: %v, want a mismatch naming memsvc reembed", err)
			}

			svc, st = openService(t, cfg, wide)
			defer st.Close()
			pending, err := st.State.PendingVectors(ctx, id)
			if err != nil || pending != 1 {
				t.Fatalf("pending message vectors %d %v, want 1", pending, err)
			}
			hits, err := svc.SearchArchival(ctx, id, pager.ArchivalQuery{Query: "which city does Alice live in", K: 3, Mode: pager.ModeDense})
			if err != nil || len(hits) != len(texts) {
				t.Fatalf("dense search after re-embedding: %v %v", hits, err)
			}
			want, err := wide.Embed(ctx, []string{pager.PassageEmbedText("", texts[0], "user", situation)})
			if err != nil {
				t.Fatal(err)
			}
			for _, h := range hits {
				if len(h.Passage.Vector) != wide.Dim() {
					t.Fatalf("passage %q has a %d-d vector", h.Passage.Text, len(h.Passage.Vector))
				}
				if h.Passage.Text == texts[0] {
					for i := range want[0] {
						if d := h.Passage.Vector[i] - want[0][i]; d > 1e-6 || d < -1e-6 {
							t.Fatalf("passage vector differs from the new embedder's at %d: %v vs %v", i, h.Passage.Vector[i], want[0][i])
						}
					}
				}
			}
			if n, err := svc.EmbedPending(ctx); err != nil || n != 1 {
				t.Fatalf("messages embedded again: %d %v", n, err)
			}
			recall, err := svc.SearchRecall(ctx, id, pager.RecallQuery{Query: "cello", K: 5})
			if err != nil || len(recall) != 1 {
				t.Fatalf("recall after re-embedding: %v %v", recall, err)
			}
		})
	}
}

// reembedStore returns a tenant's context and the configuration of an empty store of kind
// (embedded, or postgres in a schema of its own).
func reembedStore(t *testing.T, kind string) (context.Context, stores.Config) {
	cfg := stores.Config{Store: "embedded", Data: t.TempDir(), Migrate: true}
	if kind == "postgres" {
		cfg.Store = pgdbtest.Schema(t)
	}
	return state.WithTenant(context.Background(), state.DefaultTenant), cfg
}

// openService opens the stores under emb and a pager service on them.
func openService(t *testing.T, cfg stores.Config, emb embed.Embedder) (*pager.Service, *stores.Stores) {
	t.Helper()
	ctx := context.Background()
	cfg.Dim = emb.Dim()
	st, err := stores.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.State.CheckEmbedder(ctx, emb.Model(), emb.Dim()); err != nil {
		st.Close()
		t.Fatal(err)
	}
	svc, err := pager.New(pager.Config{Store: st.State, Archival: st.Archival, Embedder: emb})
	if err != nil {
		st.Close()
		t.Fatal(err)
	}
	return svc, st
}

// failing embeds through its embedder until calls run out, then fails.
type failing struct {
	embed.Embedder
	calls int
}

func (f *failing) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	if f.calls == 0 {
		return nil, errors.New("embedding server went away")
	}
	f.calls--
	return f.Embedder.Embed(ctx, texts)
}

// TestReembedInterrupted fails a re-embedding after its first batch was written: the store is
// left as it was, under the embedder it had.
func TestReembedInterrupted(t *testing.T) {
	for _, kind := range []string{"embedded", "postgres"} {
		t.Run(kind, func(t *testing.T) {
			ctx, cfg := reembedStore(t, kind)
			glove := embed.NewBuiltin()
			svc, st := openService(t, cfg, glove)
			agent, err := svc.CreateAgent(ctx, pager.AgentSpec{Name: "a"})
			if err != nil {
				t.Fatal(err)
			}
			var ins []pager.PassageInput
			for i := range 300 { // two batches
				ins = append(ins, pager.PassageInput{Text: fmt.Sprintf("note %d: the lighthouse lamp was cleaned on day %d", i, i)})
			}
			if _, err := svc.InsertPassages(ctx, agent.ID, ins); err != nil {
				t.Fatal(err)
			}
			st.Close()
			wide, err := embed.NewConcat([]embed.Embedder{glove, glove}, []float64{1, 1})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := stores.Reembed(ctx, cfg, &failing{Embedder: wide, calls: 1}, pager.PassageEmbedText, nil); err == nil {
				t.Fatal("re-embedding with a failing embedder succeeded")
			}
			svc, st = openService(t, cfg, glove)
			defer st.Close()
			hits, err := svc.SearchArchival(ctx, agent.ID, pager.ArchivalQuery{Query: "lighthouse lamp day 7", K: 100, Mode: pager.ModeDense})
			if err != nil || len(hits) != 100 {
				t.Fatalf("dense search after a failed re-embedding: %d hits, %v", len(hits), err)
			}
			for _, h := range hits {
				if len(h.Passage.Vector) != glove.Dim() {
					t.Fatalf("passage %q has a %d-d vector after a failed re-embedding", h.Passage.Text, len(h.Passage.Vector))
				}
			}
		})
	}
}

// TestReembedRefusesQdrant: a Qdrant collection's dimension is fixed, so re-embedding refuses it
// before touching anything.
func TestReembedRefusesQdrant(t *testing.T) {
	cfg := stores.Config{Store: "embedded", Data: t.TempDir(), Archival: "qdrant://127.0.0.1:6334/mem"}
	_, err := stores.Reembed(context.Background(), cfg, embed.NewBuiltin(), pager.PassageEmbedText, nil)
	if err == nil || !strings.Contains(err.Error(), "Qdrant") {
		t.Fatalf("re-embedding a Qdrant store: %v, want a refusal naming Qdrant", err)
	}
}

// TestOldDefaultStoreNamesItsFlag: a store made under the GloVe-only default of earlier releases,
// opened under another embedder, is refused with the flag that opens it and the command that
// moves it.
func TestOldDefaultStoreNamesItsFlag(t *testing.T) {
	ctx := context.Background()
	glove := embed.NewBuiltin()
	cfg := stores.Config{Store: "embedded", Data: t.TempDir(), Dim: glove.Dim()}
	st, err := stores.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.State.CheckEmbedder(ctx, glove.Model(), glove.Dim()); err != nil {
		t.Fatal(err)
	}
	st.Close()
	cfg.Dim = 612
	_, err = stores.Open(ctx, cfg)
	if !errors.Is(err, state.ErrDimensionMismatch) || !strings.Contains(err.Error(), "--embedder glove") ||
		!strings.Contains(err.Error(), "memsvc reembed") {
		t.Fatalf("opening a GloVe store at 612-d: %v", err)
	}
}

// TestReembedRefusesAnOpenStoreOrNone: re-embedding an embedded store that a running service
// has open is refused before anything changes, and so is a data directory without a store; a
// store being re-embedded does not open.
func TestReembedRefusesAnOpenStoreOrNone(t *testing.T) {
	ctx := context.Background()
	glove := embed.NewBuiltin()
	wide, err := embed.NewConcat([]embed.Embedder{glove, glove}, []float64{1, 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := stores.Reembed(ctx, stores.Config{Store: "embedded", Data: t.TempDir()}, wide, pager.PassageEmbedText, nil); err == nil ||
		!strings.Contains(err.Error(), "no embedded store") {
		t.Fatalf("re-embedding an empty directory: %v", err)
	}
	cfg := stores.Config{Store: "embedded", Data: t.TempDir(), Dim: glove.Dim()}
	st, err := stores.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := stores.Reembed(ctx, cfg, wide, pager.PassageEmbedText, nil); err == nil || !strings.Contains(err.Error(), "stop it first") {
		t.Fatalf("re-embedding an open store: %v", err)
	}
	// A second opener (memsvc keys beside memsvc serve) shares the directory.
	st2, err := stores.Open(ctx, cfg)
	if err != nil {
		t.Fatalf("a second opener: %v", err)
	}
	st2.Close()
	st.Close()
	if _, err := stores.Reembed(ctx, cfg, wide, pager.PassageEmbedText, nil); err != nil {
		t.Fatalf("re-embedding once closed: %v", err)
	}
}
