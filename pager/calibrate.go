package pager

import (
	"context"
	"fmt"
	"sync"

	"github.com/memsvc/memsvc/embed"
	"github.com/memsvc/memsvc/validity"
)

// distributions caches each embedder's validity.Distribution by model name.
var distributions sync.Map // string -> validity.Distribution

// distribution returns the similarity distribution of emb over validity.CalibrationTexts.
func distribution(ctx context.Context, emb embed.Embedder) (validity.Distribution, error) {
	if d, ok := distributions.Load(emb.Model()); ok {
		return d.(validity.Distribution), nil
	}
	vecs, err := emb.Embed(ctx, validity.CalibrationTexts())
	if err != nil {
		return nil, fmt.Errorf("pager: calibrate %s: %w", emb.Model(), err)
	}
	d := validity.NewDistribution(vecs)
	distributions.Store(emb.Model(), d)
	return d, nil
}

// CalibratedScoring returns validity.Default with its cosine thresholds carried from the built-in
// GloVe-SIF embedder, under which they were chosen, to emb (validity.Config.Calibrated): the same
// share of unrelated pairs falls below each threshold under either. For the built-in embedder it
// is validity.Default itself. It embeds validity.CalibrationTexts once per embedder and process.
func CalibratedScoring(ctx context.Context, emb embed.Embedder) (validity.Config, error) {
	if emb.Model() == embed.BuiltinModel {
		return validity.Default, nil
	}
	rd, err := builtinDistribution(ctx)
	if err != nil {
		return validity.Default, err
	}
	od, err := distribution(ctx, emb)
	if err != nil {
		return validity.Default, err
	}
	return validity.Default.Calibrated(rd, od), nil
}

// builtinDistribution is the built-in embedder's distribution, loading its table only when the
// distribution is not cached yet.
func builtinDistribution(ctx context.Context) (validity.Distribution, error) {
	if d, ok := distributions.Load(embed.BuiltinModel); ok {
		return d.(validity.Distribution), nil
	}
	ref := embed.NewBuiltin()
	if err := ref.Load(); err != nil {
		return nil, err
	}
	return distribution(ctx, ref)
}
