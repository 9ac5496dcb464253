package ollamatest

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
)

// A tensor is one named array of a safetensors file.
type tensor struct {
	name  string
	dtype string // "F32" or "F16"
	shape []int
	data  []byte // little-endian
}

// writeSafetensors writes ts as a safetensors file: an 8-byte little-endian header length, a
// JSON header mapping each name to its dtype, shape and data_offsets (relative to the end of the
// header), padded with spaces to a multiple of 8, then the raw data in the same order.
func writeSafetensors(path string, ts []tensor) error {
	type entry struct {
		DType   string   `json:"dtype"`
		Shape   []int    `json:"shape"`
		Offsets [2]int64 `json:"data_offsets"`
	}
	header := map[string]any{"__metadata__": map[string]string{"format": "pt"}}
	var off int64
	for _, t := range ts {
		n := int64(dtypeSize(t.dtype))
		for _, d := range t.shape {
			n *= int64(d)
		}
		if n != int64(len(t.data)) {
			return fmt.Errorf("ollamatest: tensor %s: %d bytes of data for shape %v %s", t.name, len(t.data), t.shape, t.dtype)
		}
		header[t.name] = entry{DType: t.dtype, Shape: t.shape, Offsets: [2]int64{off, off + n}}
		off += n
	}
	h, err := json.Marshal(header)
	if err != nil {
		return err
	}
	for len(h)%8 != 0 {
		h = append(h, ' ')
	}
	var buf bytes.Buffer
	binary.Write(&buf, binary.LittleEndian, uint64(len(h)))
	buf.Write(h)
	for _, t := range ts {
		buf.Write(t.data)
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}

func dtypeSize(dtype string) int {
	if dtype == "F16" {
		return 2
	}
	return 4
}

// weights makes tensors with random values, reproducibly from a seed.
type weights struct {
	rng *rand.Rand
	ts  []tensor
}

func newWeights(seed uint64) *weights {
	return &weights{rng: rand.New(rand.NewPCG(seed, 0x6d656d737663))}
}

// random adds a tensor of normal(0, std) values: F16 if it has two or more dimensions (as
// checkpoints usually store matrices), F32 otherwise.
func (w *weights) random(name string, std float64, shape ...int) {
	n := 1
	for _, d := range shape {
		n *= d
	}
	vals := make([]float32, n)
	for i := range vals {
		vals[i] = float32(w.rng.NormFloat64() * std)
	}
	w.add(name, vals, len(shape) >= 2, shape)
}

// constant adds an F32 tensor with every value v (norm weights 1, biases 0).
func (w *weights) constant(name string, v float32, shape ...int) {
	n := 1
	for _, d := range shape {
		n *= d
	}
	vals := make([]float32, n)
	for i := range vals {
		vals[i] = v
	}
	w.add(name, vals, false, shape)
}

func (w *weights) add(name string, vals []float32, f16 bool, shape []int) {
	t := tensor{name: name, dtype: "F32", shape: shape}
	if f16 {
		t.dtype = "F16"
		t.data = make([]byte, 2*len(vals))
		for i, v := range vals {
			binary.LittleEndian.PutUint16(t.data[2*i:], float16bits(v))
		}
	} else {
		t.data = make([]byte, 4*len(vals))
		for i, v := range vals {
			binary.LittleEndian.PutUint32(t.data[4*i:], math.Float32bits(v))
		}
	}
	w.ts = append(w.ts, t)
}

// zeroRows zeroes rows of the 2-D tensor name.
func (w *weights) zeroRows(name string, rows ...int) {
	for i := range w.ts {
		t := &w.ts[i]
		if t.name != name {
			continue
		}
		n := t.shape[1] * dtypeSize(t.dtype)
		for _, r := range rows {
			clear(t.data[r*n : (r+1)*n])
		}
	}
}

// float16bits converts f (finite) to IEEE 754 half precision, rounding to nearest even.
func float16bits(f float32) uint16 {
	b := math.Float32bits(f)
	sign := uint16(b>>16) & 0x8000
	exp := int(b>>23&0xff) - 127 + 15
	mant := b & 0x7fffff
	switch {
	case exp >= 31:
		return sign | 0x7c00 // too large: infinity
	case exp <= 0: // subnormal in half precision
		if exp < -10 {
			return sign
		}
		mant |= 0x800000
		shift := uint(14 - exp)
		v, rem, half := mant>>shift, mant&(1<<shift-1), uint32(1)<<(shift-1)
		if rem > half || rem == half && v&1 == 1 {
			v++
		}
		return sign | uint16(v)
	default:
		v, rem := uint32(exp)<<10|mant>>13, mant&0x1fff
		if rem > 0x1000 || rem == 0x1000 && v&1 == 1 {
			v++ // may carry into the exponent, which is right
		}
		return sign | uint16(v)
	}
}
