package use

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"slices"
	"testing"
)

// refCase is one line of testdata/reference.jsonl, written by
// testdata/ref/ref.js with the npm package's own TF.js runtime.
type refCase struct {
	Text  string  `json:"text"`
	IDs   []int32 `json:"ids"`
	Scale float64 `json:"scale"`
	Vec   *string `json:"vec"`
	vec   []float32
}

// loadReference reads testdata/reference.jsonl, or the file named by
// USE_REFERENCE: ref.js's output for other texts (development data,
// which stays out of the repository).
func loadReference(t testing.TB) []refCase {
	t.Helper()
	path := "testdata/reference.jsonl"
	if p := os.Getenv("USE_REFERENCE"); p != "" {
		path = p
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var cases []refCase
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var c refCase
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			t.Fatal(err)
		}
		if c.Vec != nil {
			raw, err := base64.StdEncoding.DecodeString(*c.Vec)
			if err != nil || len(raw) != 2*Dim {
				t.Fatalf("%q: bad vector (%d bytes, %v)", c.Text, len(raw), err)
			}
			c.vec = make([]float32, Dim)
			for i := range c.vec {
				c.vec[i] = float32(float64(int16(binary.LittleEndian.Uint16(raw[2*i:]))) * c.Scale)
			}
		}
		cases = append(cases, c)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(cases) < 300 {
		t.Fatalf("%d reference cases, want at least 300", len(cases))
	}
	return cases
}

func cosine(a, b []float32) float64 {
	var ab, aa, bb float64
	for i := range a {
		ab += float64(a[i]) * float64(b[i])
		aa += float64(a[i]) * float64(a[i])
		bb += float64(b[i]) * float64(b[i])
	}
	if aa == 0 || bb == 0 {
		return 0
	}
	return ab / math.Sqrt(aa*bb)
}

// TestReferenceTokenIDs requires the tokenizer's ids to equal the
// JavaScript tokenizer's for every reference text.
func TestReferenceTokenIDs(t *testing.T) {
	enc := New()
	for _, c := range loadReference(t) {
		got, err := enc.Tokenize(c.Text)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, c.IDs) {
			t.Errorf("Tokenize(%q)\n got %v\nwant %v", c.Text, got, c.IDs)
		}
	}
}

// minCosine is the floor for every reference vector: 0.995, since the
// weights are int8 (the bound for a quantized model).
const minCosine = 0.995

// TestReferenceVectors requires cosine ≥ minCosine with the TF.js output
// for every reference text, embedding them all in one batch (sorted into
// length buckets, spread over workers) and one at a time.
func TestReferenceVectors(t *testing.T) {
	cases := loadReference(t)
	texts := make([]string, len(cases))
	for i, c := range cases {
		texts[i] = c.Text
	}
	enc := New()
	batch, err := enc.Embed(context.Background(), texts)
	if err != nil {
		t.Fatal(err)
	}
	worst, sum, n := 1.0, 0.0, 0
	for i, c := range cases {
		single, err := enc.Embed(context.Background(), []string{c.Text})
		if err != nil {
			t.Fatal(err)
		}
		if c.vec == nil {
			// The runtime cannot embed a text with no token; Encoder
			// gives the zero vector.
			if len(c.IDs) != 0 {
				t.Fatalf("%q: no reference vector but %d ids", c.Text, len(c.IDs))
			}
			for _, v := range append(batch[i], single[0]...) {
				if v != 0 {
					t.Fatalf("%q: want the zero vector", c.Text)
				}
			}
			continue
		}
		cb, cs := cosine(batch[i], c.vec), cosine(single[0], c.vec)
		if cb < minCosine || cs < minCosine {
			t.Errorf("%q (%d ids): cosine batch %.6f, single %.6f, want ≥ %v", c.Text, len(c.IDs), cb, cs, minCosine)
		}
		if d := cosine(batch[i], single[0]); d < 0.99999 {
			t.Errorf("%q: batch and single differ (cosine %.7f)", c.Text, d)
		}
		worst = min(worst, cb)
		sum += cb
		n++
	}
	t.Logf("%d reference vectors: cosine min %.6f, mean %.6f", n, worst, sum/float64(n))
}
