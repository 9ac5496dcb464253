package use

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"sync"

	"github.com/memsvc/memsvc/embed"
)

// Model is the Model() name of [Encoder]: the vector space of USE-lite
// with this package's int8 weights.
const Model = "use-lite-en-0.2.0-int8"

// Dim is the length of every vector of [Encoder].
const Dim = modelDim

// Batching: sentences are sorted by length and cut into batches of at
// most batchRows tokens and batchSentences sentences; batches go to up
// to GOMAXPROCS workers.
const (
	batchRows      = 256
	batchSentences = 64
)

// Encoder is Google's Universal Sentence Encoder lite (two transformer
// layers, 512-d output) compiled into the binary: an [embed.Embedder]
// that needs no network, files or model server. The zero value is ready
// to use; every Encoder shares one read-only model, loaded on first use.
type Encoder struct{}

var _ embed.Embedder = (*Encoder)(nil)

// New returns the encoder. The embedded model (~7 MB) is unpacked on
// first use, once per process (~21 MB of float32 weights); call
// [Encoder.Load] to do it eagerly.
func New() *Encoder { return &Encoder{} }

// Dim returns 512.
func (*Encoder) Dim() int { return Dim }

// Model returns [Model].
func (*Encoder) Model() string { return Model }

// Load unpacks the embedded model if that has not happened yet, and
// reports the error Embed would if it were corrupt.
func (*Encoder) Load() error {
	_, err := loadModel()
	return err
}

var (
	modelOnce sync.Once
	modelVal  *model
	modelErr  error
	workPool  = sync.Pool{New: func() any { return newWork(batchRows, batchSentences) }}
)

func loadModel() (*model, error) {
	modelOnce.Do(func() {
		f, err := parseModelFile(modelData)
		if err != nil {
			modelErr = fmt.Errorf("use: embedded model: %w", err)
			return
		}
		modelVal, modelErr = newModel(f)
		if modelErr != nil {
			modelErr = fmt.Errorf("use: embedded model: %w", modelErr)
		}
	})
	return modelVal, modelErr
}

// Tokenize returns the token ids the model sees for text (at most 128:
// the model reads no further). It is exported for tests and tools.
func (*Encoder) Tokenize(text string) ([]int32, error) {
	m, err := loadModel()
	if err != nil {
		return nil, err
	}
	var st tokState
	return slices.Clone(m.tok.encode(text, &st)), nil
}

// Embed returns one unit-length 512-d vector per text. A text with no
// token (the empty string) gets the zero vector; callers treat its cosine
// similarity with anything as 0. Only the first 128 tokens of a text
// count. Embed checks ctx between batches, and never panics on any text.
func (*Encoder) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m, err := loadModel()
	if err != nil {
		return nil, err
	}
	out := make([][]float32, len(texts))
	flat := make([]float32, len(texts)*Dim)
	for i := range out {
		out[i] = flat[i*Dim : (i+1)*Dim : (i+1)*Dim]
	}
	// Tokenize into one shared id array.
	var st tokState
	ids := make([]int32, 0, 32*len(texts))
	spans := make([][2]int, len(texts))
	for i, t := range texts {
		if i%64 == 63 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		seq := m.tok.encode(t, &st)
		if len(seq) > maxTokens {
			seq = seq[:maxTokens]
		}
		spans[i] = [2]int{len(ids), len(ids) + len(seq)}
		ids = append(ids, seq...)
	}
	// Sort by length (the batches then hold similar lengths) and cut.
	order := make([]int, 0, len(texts))
	for i, s := range spans {
		if s[1] > s[0] {
			order = append(order, i)
		}
	}
	slices.SortStableFunc(order, func(a, b int) int {
		return (spans[a][1] - spans[a][0]) - (spans[b][1] - spans[b][0])
	})
	var batches [][]int // indices into texts
	for start := 0; start < len(order); {
		end, rows := start, 0
		for end < len(order) && end-start < batchSentences {
			n := spans[order[end]][1] - spans[order[end]][0]
			if rows+n > batchRows && end > start {
				break
			}
			rows += n
			end++
		}
		batches = append(batches, order[start:end])
		start = end
	}
	workers := min(runtime.GOMAXPROCS(0), len(batches))
	if n := embed.Workers(ctx); n > 0 {
		workers = min(workers, n)
	}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		next int
	)
	run := func() {
		defer wg.Done()
		w := workPool.Get().(*work)
		defer workPool.Put(w)
		seqs := make([][]int32, 0, batchSentences)
		dst := make([][]float32, 0, batchSentences)
		for {
			mu.Lock()
			b := next
			next++
			mu.Unlock()
			if b >= len(batches) || ctx.Err() != nil {
				return
			}
			seqs, dst = seqs[:0], dst[:0]
			for _, i := range batches[b] {
				seqs = append(seqs, ids[spans[i][0]:spans[i][1]])
				dst = append(dst, out[i])
			}
			m.forward(w, seqs, dst)
		}
	}
	if workers > 0 {
		wg.Add(workers)
		for range workers - 1 {
			go run()
		}
		run()
		wg.Wait()
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return out, nil
}
