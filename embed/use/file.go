package use

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// uselite.bin, written by embed/internal/useconv (keep in sync), is
// little-endian:
//
//	magic "USELITE\n" | version u32 = 1
//	pieces u32, then per piece: len u16, UTF-8 bytes, score float64
//	tensors u32, then per tensor: nameLen u8, name, kind u8, rows u32, cols u32, data
//
// kind 0 data is rows*cols float32; kind 1 is rows float32 scales, then
// rows*cols int8, value = q * scale of its row. Matrices are stored
// [out, in] (one scale per output row); the embedding table [token, dim].
const (
	fileMagic   = "USELITE\n"
	fileVersion = 1
	kindF32     = 0
	kindQ8      = 1
)

// piece is one vocabulary entry.
type piece struct {
	text  string
	score float64
}

// rawTensor is one tensor as stored.
type rawTensor struct {
	rows, cols int
	f32        []float32 // kind 0
	scales     []float32 // kind 1
	q          []int8    // kind 1
}

// at returns element (r, c) as float32.
func (t *rawTensor) at(r, c int) float32 {
	if t.f32 != nil {
		return t.f32[r*t.cols+c]
	}
	return float32(t.q[r*t.cols+c]) * t.scales[r]
}

type modelFile struct {
	pieces  []piece
	tensors map[string]*rawTensor
}

var errTruncated = errors.New("truncated")

type reader struct {
	b   string
	off int
	err error
}

func (r *reader) take(n int) string {
	if r.err != nil || n < 0 || n > len(r.b)-r.off {
		r.err = errTruncated
		return ""
	}
	s := r.b[r.off : r.off+n]
	r.off += n
	return s
}

func (r *reader) u8() int {
	s := r.take(1)
	if s == "" {
		return 0
	}
	return int(s[0])
}

func (r *reader) u16() int {
	s := r.take(2)
	if s == "" {
		return 0
	}
	return int(binary.LittleEndian.Uint16([]byte(s)))
}

func (r *reader) u32() uint32 {
	s := r.take(4)
	if s == "" {
		return 0
	}
	return binary.LittleEndian.Uint32([]byte(s))
}

func (r *reader) u64() uint64 {
	s := r.take(8)
	if s == "" {
		return 0
	}
	return binary.LittleEndian.Uint64([]byte(s))
}

func (r *reader) f32s(n int) []float32 {
	s := r.take(4 * n)
	if r.err != nil {
		return nil
	}
	out := make([]float32, n)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32([]byte(s[4*i:])))
	}
	return out
}

// parseModelFile decodes uselite.bin.
func parseModelFile(data string) (*modelFile, error) {
	r := &reader{b: data}
	if r.take(len(fileMagic)) != fileMagic {
		return nil, errors.New("bad magic")
	}
	if v := r.u32(); v != fileVersion {
		return nil, fmt.Errorf("version %d, want %d", v, fileVersion)
	}
	n := int(r.u32())
	if n > 1<<20 {
		return nil, fmt.Errorf("%d pieces", n)
	}
	f := &modelFile{pieces: make([]piece, 0, n), tensors: make(map[string]*rawTensor)}
	for i := 0; i < n && r.err == nil; i++ {
		text := r.take(r.u16())
		score := math.Float64frombits(r.u64())
		f.pieces = append(f.pieces, piece{text, score})
	}
	nt := int(r.u32())
	for i := 0; i < nt && r.err == nil; i++ {
		name := r.take(r.u8())
		kind := r.u8()
		rows, cols := int(r.u32()), int(r.u32())
		if rows <= 0 || cols <= 0 || rows > 1<<20 || cols > 1<<20 {
			return nil, fmt.Errorf("tensor %q: shape %d×%d", name, rows, cols)
		}
		t := &rawTensor{rows: rows, cols: cols}
		switch kind {
		case kindF32:
			t.f32 = r.f32s(rows * cols)
		case kindQ8:
			t.scales = r.f32s(rows)
			q := r.take(rows * cols)
			if r.err == nil {
				t.q = make([]int8, len(q))
				for j := range len(q) {
					t.q[j] = int8(q[j])
				}
			}
		default:
			return nil, fmt.Errorf("tensor %q: kind %d", name, kind)
		}
		f.tensors[name] = t
	}
	if r.err != nil {
		return nil, r.err
	}
	if r.off != len(data) {
		return nil, fmt.Errorf("%d trailing bytes", len(data)-r.off)
	}
	return f, nil
}
