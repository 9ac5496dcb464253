package main

import (
	"fmt"
	"slices"

	"github.com/memsvc/memsvc/embed"
	"github.com/memsvc/memsvc/embed/use"
)

// localEmbedders are the --embedder values compiled into the binary:
//
//	builtin    the default: the combination that measures best, now glove+use
//	glove      GloVe 6B 100d SIF, the fastest ingest (100-d)
//	use        Universal Sentence Encoder lite, a neural encoder (512-d)
//	glove+use  both, one 612-d vector whose cosine is the mean of theirs
//
// bench/RESULTS.md ("The default embedder") has the figures behind the choice.
//
// A store records the embedder it was created with and refuses another.
var localEmbedders = []string{"builtin", "glove", "use", "glove+use"}

// localEmbedderHelp is the --embedder flag's help text.
const localEmbedderHelp = "text embedder: builtin (glove+use), glove (GloVe-SIF, 100-d, the fastest), use (USE-lite, 512-d), glove+use (612-d), ollama:<model>, or openai:<model>"

// checkEmbedder checks an --embedder value.
func checkEmbedder(spec string) error {
	if slices.Contains(localEmbedders, spec) {
		return nil
	}
	if err := checkProvider("--embedder", spec, "ollama", "openai"); err != nil {
		return fmt.Errorf("--embedder %q: want builtin or ollama:<model> or openai:<model>, or one of the other compiled-in embedders: glove, use, glove+use", spec)
	}
	return nil
}

// newLocalEmbedder returns a compiled-in embedder (loaded, so a corrupt
// table fails here), or nil if spec names none.
func newLocalEmbedder(spec string) (embed.Embedder, error) {
	switch spec {
	case "glove":
		b := embed.NewBuiltin()
		return b, b.Load()
	case "use":
		u := use.New()
		return u, u.Load()
	case "builtin", "glove+use":
		b, u := embed.NewBuiltin(), use.New()
		if err := b.Load(); err != nil {
			return nil, err
		}
		if err := u.Load(); err != nil {
			return nil, err
		}
		return gloveUse(b, u)
	}
	return nil, nil
}

// gloveUse is the glove+use embedder over its parts.
func gloveUse(b *embed.Builtin, u *use.Encoder) (*embed.Concat, error) {
	return embed.NewConcat([]embed.Embedder{b, u}, []float64{1, 1})
}

// builtinDim is the dimension of the builtin embedder's vectors, known without loading it.
func builtinDim() int { return embed.NewBuiltin().Dim() + use.New().Dim() }
