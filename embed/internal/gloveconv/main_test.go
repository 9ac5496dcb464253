package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// winkJSON builds a tiny input in the wink format with dim 2.
func winkJSON(words []string, vecs map[string]string) string {
	var b strings.Builder
	b.WriteString(`{"precision":8,"l2NormIndex":2,"wordIndex":3,"size":` + strconv.Itoa(len(words)) + `,"dimensions":2,"words":[`)
	for i, w := range words {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(`"` + w + `"`)
	}
	b.WriteString(`],"vectors":{`)
	for i, w := range words {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(`"` + w + `":[` + vecs[w] + `,1,` + strconv.Itoa(i) + `]`)
	}
	b.WriteString(`},"unkVector":[0,0,0,-1]}`)
	return b.String()
}

func TestConvert(t *testing.T) {
	words := []string{"the", ",", "cat", "e-mail", "dog", "emu"}
	vecs := map[string]string{
		"the": "1.27,-0.5", ",": "9,9", "cat": "-2.54,0.01", "e-mail": "1,1", "dog": "0,0", "emu": "3,3",
	}
	js := winkJSON(words, vecs)

	// Tarball input, as produced by npm pack.
	dir := t.TempDir()
	var tgz bytes.Buffer
	zw := gzip.NewWriter(&tgz)
	tw := tar.NewWriter(zw)
	for name, body := range map[string]string{"package/package.json": "{}", "package/" + jsonName: js} {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	in := filepath.Join(dir, "x.tgz")
	if err := os.WriteFile(in, tgz.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out.bin")
	if err := run(in, out, 3, 2); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(out)

	// Same result from the bare JSON.
	inJSON := filepath.Join(dir, "x.json")
	if err := os.WriteFile(inJSON, []byte(js), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := run(inJSON, out, 3, 2); err != nil {
		t.Fatal(err)
	}
	if got2, _ := os.ReadFile(out); !bytes.Equal(got, got2) {
		t.Fatal("tgz and json inputs give different output")
	}

	le := binary.LittleEndian
	if string(got[:8]) != magic || le.Uint32(got[8:]) != 1 || le.Uint32(got[12:]) != 3 || le.Uint32(got[16:]) != 2 {
		t.Fatalf("header % x", got[:24])
	}
	wantWords := "\x03the\x03cat\x03dog" // "," and "e-mail" are not tokens; "emu" is past -n
	if wb := le.Uint32(got[20:]); int(wb) != len(wantWords) || string(got[24:24+wb]) != wantWords {
		t.Fatalf("words section %q", got[24:24+wb])
	}
	off := 24 + len(wantWords)
	scales := []float32{
		math.Float32frombits(le.Uint32(got[off:])),
		math.Float32frombits(le.Uint32(got[off+4:])),
		math.Float32frombits(le.Uint32(got[off+8:])),
	}
	if scales[0] != float32(1.27/127) || scales[1] != float32(2.54/127) || scales[2] != 0 {
		t.Fatalf("scales %v", scales)
	}
	q := got[off+12:]
	// the: 1.27/0.01 = 127, -0.5/0.01 = -50; cat: -127, round(0.01/0.02) = 1 (half away from zero); dog: 0, 0.
	if want := []byte{127, 256 - 50, 256 - 127, 1, 0, 0}; !bytes.Equal(q, want) {
		t.Fatalf("vectors % d, want % d", q, want)
	}
}

func TestConvertRejectsBadIndex(t *testing.T) {
	js := strings.Replace(winkJSON([]string{"a", "b"}, map[string]string{"a": "1,1", "b": "2,2"}), `"b":[2,2,1,1]`, `"b":[2,2,1,0]`, 1)
	_, err := readSource(strings.NewReader(js), 2, 2)
	if err == nil || !strings.Contains(err.Error(), "wordIndex") {
		t.Fatalf("err = %v", err)
	}
}

func TestIsToken(t *testing.T) {
	for w, want := range map[string]bool{
		"the": true, "covid19": true, "café": true, "cafe\u0301": true,
		"": false, ",": false, "e-mail": false, "Paris": false, "'s": false, "\u0301a": false, "\xff": false,
	} {
		if got := isToken(w); got != want {
			t.Errorf("isToken(%q) = %v", w, got)
		}
	}
}
