package main

import (
	"context"
	"fmt"
	"io"

	"github.com/memsvc/memsvc/pager"
	"github.com/memsvc/memsvc/stores"
)

// runReembed moves a stopped service's store to the embedder --embedder names (memsvc reembed):
// every passage is embedded again and every message's vector cleared, for the service to embed
// in the background once it starts with the same --embedder.
func runReembed(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	m := NewMain(stderr)
	if err := m.ParseFlags(args); err != nil {
		return err
	}
	emb, err := m.embedder(ctx)
	if err != nil {
		return err
	}
	bar := progress{w: stderr, unit: "passages"}
	res, err := stores.Reembed(ctx, m.Config.storesConfig(emb.Dim(), m.Logger), emb, pager.PassageEmbedText,
		func(done, total int) {
			bar.total = total
			bar.set(done)
		})
	bar.done()
	if err != nil {
		return err
	}
	from := res.From
	if from == "" {
		from = "(none recorded)"
	}
	fmt.Fprintf(stdout, "re-embedded %d passages: %s -> %s; %d message vectors cleared, embedded again by memsvc serve --embedder %s\n",
		res.Passages, from, res.To, res.Messages, m.Config.Embedder)
	return nil
}
