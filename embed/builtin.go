package embed

import (
	"context"
	"fmt"
	"math"
	"sync"
)

// BuiltinModel is the Model() name of [Builtin].
const BuiltinModel = "builtin-glove6b-100d-int8"

// builtinDim is the Dim() of [Builtin].
const builtinDim = 100

// Builtin is the default [Embedder]: SIF-weighted GloVe 6B 100d word
// vectors compiled into the binary. It needs no network, files or model
// server. The zero value is ready to use and all Builtins share one
// read-only table, so Builtin is safe for concurrent use.
type Builtin struct{}

var _ Embedder = (*Builtin)(nil)

// NewBuiltin returns the built-in embedder. The embedded table (~11 MB) is
// parsed on first use, once per process; call [Builtin.Load] to do it
// eagerly.
func NewBuiltin() *Builtin { return &Builtin{} }

// Dim returns 100.
func (*Builtin) Dim() int { return builtinDim }

// Model returns [BuiltinModel].
func (*Builtin) Model() string { return BuiltinModel }

// Load parses the embedded word table if that has not happened yet. It is
// optional (Embed loads on demand) and reports the same error Embed would
// if the table were corrupt.
func (*Builtin) Load() error {
	_, err := loadVocab()
	return err
}

// Embed returns one 100-dimensional vector per text.
//
// A text is split with [Tokenize]; each token found in the vocabulary
// contributes its word vector times its SIF weight a/(a + p(w)) (see
// sif.go: a = 1e-3, p(w) from the word's frequency rank by Zipf's law).
// The weighted mean is L2-normalized, so the result has unit norm, or is
// the zero vector if no token is in the vocabulary; callers must treat the
// cosine similarity with a zero vector as 0. Unknown words are ignored.
//
// Embed checks ctx before each text and returns (nil, ctx.Err()) once it
// is done. It never panics on any text (empty, huge, invalid UTF-8). Each
// call makes three allocations whatever the batch size: the result slice,
// one backing array shared by all vectors (each has capacity Dim(), so
// appending to one cannot overwrite another) and a 256-byte token buffer.
func (*Builtin) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	v, err := loadVocab()
	if err != nil {
		return nil, err
	}
	out := make([][]float32, len(texts))
	flat := make([]float32, len(texts)*builtinDim)
	var tokBuf [256]byte // > maxWordLen (≤ 255), so the scanner never grows it
	sc := scanner{buf: tokBuf[:0], limit: v.maxWordLen}
	for i, text := range texts {
		if i > 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		vec := flat[i*builtinDim : (i+1)*builtinDim : (i+1)*builtinDim]
		v.embedText(&sc, text, (*[builtinDim]float32)(vec))
		out[i] = vec
	}
	return out, nil
}

// vocab is the parsed table plus what Embed derives from it.
type vocab struct {
	index      map[string]int32 // word -> row
	coef       []float32        // per row: SIF weight × quantization scale
	vectors    []int8           // rows of builtinDim int8 values
	words      []string         // rank order (for tests)
	maxWordLen int              // longest word in bytes
}

var (
	vocabOnce sync.Once
	vocabVal  *vocab
	vocabErr  error
)

func loadVocab() (*vocab, error) {
	vocabOnce.Do(func() { vocabVal, vocabErr = newVocab(gloveData) })
	return vocabVal, vocabErr
}

func newVocab(data string) (*vocab, error) {
	f, err := parseGloveFile(data)
	if err != nil {
		return nil, fmt.Errorf("embed: builtin table: %w", err)
	}
	if f.dim != builtinDim {
		return nil, fmt.Errorf("embed: builtin table: dim %d, want %d", f.dim, builtinDim)
	}
	if len(f.words) > math.MaxInt32 {
		return nil, fmt.Errorf("embed: builtin table: %d words", len(f.words))
	}
	v := &vocab{
		index:   make(map[string]int32, len(f.words)),
		coef:    sifWeights(len(f.words)),
		vectors: f.vectors,
		words:   f.words,
	}
	for i, w := range f.words {
		if _, dup := v.index[w]; dup {
			return nil, fmt.Errorf("embed: builtin table: duplicate word %q", w)
		}
		v.index[w] = int32(i)
		v.maxWordLen = max(v.maxWordLen, len(w))
		v.coef[i] *= f.scales[i]
	}
	return v, nil
}

// embedText writes the embedding of text into acc, which must be zero.
func (v *vocab) embedText(sc *scanner, text string, acc *[builtinDim]float32) {
	sc.reset(text)
	found := false
	for {
		tok, ok := sc.next()
		if !ok {
			break
		}
		if sc.long {
			continue
		}
		row, ok := v.index[string(tok)]
		if !ok {
			continue
		}
		c := v.coef[row]
		q := (*[builtinDim]int8)(v.vectors[int(row)*builtinDim:])
		for j := range acc {
			acc[j] += c * float32(q[j])
		}
		found = true
	}
	if found {
		normalize(acc)
	}
}

// normalize scales x to unit L2 norm, or zeroes it if its norm is 0 or
// not finite. (Scaling the weighted sum is the same as scaling the mean.)
func normalize(x *[builtinDim]float32) {
	var ss float64
	for _, f := range x {
		ss += float64(f) * float64(f)
	}
	if ss == 0 || math.IsInf(ss, 0) || math.IsNaN(ss) {
		*x = [builtinDim]float32{}
		return
	}
	inv := 1 / math.Sqrt(ss)
	for i := range x {
		x[i] = float32(float64(x[i]) * inv)
	}
}

// Vocabulary returns the words of the built-in table, most frequent first (GloVe's frequency
// order), as a new slice. Texts made of them embed to non-zero vectors; benchmarks draw
// synthetic text from it by Zipf's law, the distribution SIF weighting assumes.
func (*Builtin) Vocabulary() ([]string, error) {
	v, err := loadVocab()
	if err != nil {
		return nil, err
	}
	return append([]string(nil), v.words...), nil
}
