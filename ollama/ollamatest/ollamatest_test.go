package ollamatest

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFloat16Bits(t *testing.T) {
	for _, c := range []struct {
		f    float32
		want uint16
	}{
		{0, 0}, {1, 0x3c00}, {-2, 0xc000}, {0.5, 0x3800}, {65504, 0x7bff}, {1e6, 0x7c00},
		{float32(math.Ldexp(1, -24)), 0x0001}, // smallest subnormal
		{float32(math.Ldexp(1, -14)), 0x0400}, // smallest normal
		{1e-10, 0},
		{0.1, 0x2e66},
	} {
		if got := float16bits(c.f); got != c.want {
			t.Errorf("float16bits(%v) = %#04x, want %#04x", c.f, got, c.want)
		}
	}
}

func readHeader(t *testing.T, path string) (map[string]json.RawMessage, int64) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	n := int64(binary.LittleEndian.Uint64(data))
	if n%8 != 0 {
		t.Errorf("header length %d is not a multiple of 8", n)
	}
	var h map[string]json.RawMessage
	if err := json.Unmarshal(data[8:8+n], &h); err != nil {
		t.Fatalf("header: %v", err)
	}
	return h, int64(len(data)) - 8 - n
}

func TestWriteModels(t *testing.T) {
	bert, llama := t.TempDir(), t.TempDir()
	if err := WriteBert(bert, BertSpec{Hidden: 32}); err != nil {
		t.Fatal(err)
	}
	if err := WriteLlama(llama, LlamaSpec{}); err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{bert, llama} {
		h, dataLen := readHeader(t, filepath.Join(dir, "model.safetensors"))
		var end int64
		for name, raw := range h {
			if name == "__metadata__" {
				continue
			}
			var e struct {
				DType   string   `json:"dtype"`
				Shape   []int    `json:"shape"`
				Offsets [2]int64 `json:"data_offsets"`
			}
			if err := json.Unmarshal(raw, &e); err != nil {
				t.Fatal(err)
			}
			size := int64(dtypeSize(e.DType))
			for _, d := range e.Shape {
				size *= int64(d)
			}
			if e.Offsets[1]-e.Offsets[0] != size {
				t.Errorf("%s: offsets %v for %d bytes", name, e.Offsets, size)
			}
			end = max(end, e.Offsets[1])
		}
		if end != dataLen {
			t.Errorf("%s: tensors end at %d, data is %d bytes", dir, end, dataLen)
		}
	}
	if _, err := os.Stat(filepath.Join(bert, "1_Pooling", "config.json")); err != nil {
		t.Error(err)
	}
	// The BERT vocabulary has no duplicates (ids would shift), and the Llama's merges are there.
	var tok struct {
		Model struct {
			Vocab  map[string]int `json:"vocab"`
			Merges []string       `json:"merges"`
		} `json:"model"`
	}
	data, _ := os.ReadFile(filepath.Join(bert, "tokenizer.json"))
	json.Unmarshal(data, &tok)
	lines, _ := os.ReadFile(filepath.Join(bert, "vocab.txt"))
	if n := len(strings.Fields(string(lines))); n != len(tok.Model.Vocab) {
		t.Errorf("vocab.txt has %d tokens, tokenizer.json %d", n, len(tok.Model.Vocab))
	}
	data, _ = os.ReadFile(filepath.Join(llama, "tokenizer.json"))
	json.Unmarshal(data, &tok)
	if len(tok.Model.Merges) < 5 || tok.Model.Vocab["Ġthe"] == 0 || len(tok.Model.Vocab) < 256+5 {
		t.Errorf("llama tokenizer: %d merges, %d tokens", len(tok.Model.Merges), len(tok.Model.Vocab))
	}
}
