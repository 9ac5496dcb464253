package embed

import (
	"errors"
	"fmt"
	"math"
	"unicode/utf8"
)

// The quantized word-vector file (glove100k.bin), written by
// internal/gloveconv. All integers are little endian.
//
//	offset  size       field
//	0       8          magic "GLOVEQ8\n"
//	8       4          version, uint32 = 1
//	12      4          count N, uint32 (number of words)
//	16      4          dim D, uint32 (values per vector)
//	20      4          W, uint32: byte size of the words section
//	24      W          words: N × (uint8 length L ≥ 1, L bytes of UTF-8),
//	                   in descending corpus frequency (row i has rank i+1)
//	24+W    4N         scales: N × float32 (IEEE 754 bits), finite, ≥ 0
//	24+W+4N N×D        vectors: N × D int8, row-major; value = q × scale
//
// The file ends exactly after the vectors; words are unique.
const (
	gloveMagic      = "GLOVEQ8\n"
	gloveVersion    = 1
	gloveHeaderSize = 24
)

// gloveFile is a parsed quantized word-vector file.
type gloveFile struct {
	dim     int
	words   []string  // rank order; substrings of the parsed data
	scales  []float32 // per row
	vectors []int8    // len(words) × dim, row-major
}

// parseGloveFile decodes and validates the format above. Words are
// substrings of data (no copies); vectors are copied.
func parseGloveFile(data string) (*gloveFile, error) {
	if len(data) < gloveHeaderSize {
		return nil, errors.New("glove file: short header")
	}
	if data[:8] != gloveMagic {
		return nil, errors.New("glove file: bad magic")
	}
	u32 := func(off int) uint64 { return uint64(le32(data, off)) }
	if v := u32(8); v != gloveVersion {
		return nil, fmt.Errorf("glove file: unsupported version %d", v)
	}
	n, dim, wordBytes := u32(12), u32(16), u32(20)
	if n == 0 || dim == 0 {
		return nil, fmt.Errorf("glove file: count %d, dim %d", n, dim)
	}
	// All sizes are < 2^32, so these products cannot overflow uint64.
	if want := gloveHeaderSize + wordBytes + 4*n + n*dim; uint64(len(data)) != want {
		return nil, fmt.Errorf("glove file: size %d, header implies %d", len(data), want)
	}

	f := &gloveFile{
		dim:     int(dim),
		words:   make([]string, n),
		scales:  make([]float32, n),
		vectors: make([]int8, n*dim),
	}
	words := data[gloveHeaderSize : gloveHeaderSize+int(wordBytes)]
	for i := range f.words {
		if len(words) == 0 {
			return nil, fmt.Errorf("glove file: words section ends at word %d of %d", i, n)
		}
		l := int(words[0])
		if l == 0 || 1+l > len(words) {
			return nil, fmt.Errorf("glove file: word %d: bad length %d", i, l)
		}
		w := words[1 : 1+l]
		if !utf8.ValidString(w) {
			return nil, fmt.Errorf("glove file: word %d: invalid UTF-8", i)
		}
		f.words[i] = w
		words = words[1+l:]
	}
	if len(words) != 0 {
		return nil, fmt.Errorf("glove file: %d trailing bytes in words section", len(words))
	}

	off := gloveHeaderSize + int(wordBytes)
	for i := range f.scales {
		s := math.Float32frombits(le32(data, off+4*i))
		if !(s >= 0) || math.IsInf(float64(s), 0) {
			return nil, fmt.Errorf("glove file: word %q: bad scale %v", f.words[i], s)
		}
		f.scales[i] = s
	}
	off += 4 * int(n)
	vec := data[off:]
	for i := range f.vectors {
		f.vectors[i] = int8(vec[i])
	}
	return f, nil
}

// le32 decodes the little-endian uint32 at s[off:off+4].
func le32(s string, off int) uint32 {
	_ = s[off+3]
	return uint32(s[off]) | uint32(s[off+1])<<8 | uint32(s[off+2])<<16 | uint32(s[off+3])<<24
}
