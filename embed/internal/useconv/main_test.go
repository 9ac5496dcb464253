package main

import (
	"bytes"
	"math"
	"strings"
	"testing"
)

func TestQuantizeRows(t *testing.T) {
	vals := []float32{1, -0.5, 0.25, 0, 0, 0, -2, 1, 0.001}
	q, scales, worst := quantizeRows(vals, 3, 3)
	if scales[0] != 1.0/127 || scales[1] != 0 || scales[2] != 2.0/127 {
		t.Fatalf("scales %v", scales)
	}
	for r := range 3 {
		for c := range 3 {
			got := float64(int8(q[r*3+c])) * float64(scales[r])
			if math.Abs(got-float64(vals[r*3+c])) > float64(scales[r])/2+1e-9 {
				t.Errorf("(%d,%d): %v back as %v", r, c, vals[r*3+c], got)
			}
		}
	}
	if int8(q[0]) != 127 || int8(q[6]) != -127 {
		t.Errorf("the largest value of a row must map to ±127: %d %d", int8(q[0]), int8(q[6]))
	}
	if worst > 0.5/127+1e-9 {
		t.Errorf("worst relative error %v", worst)
	}
}

func TestConvertRejectsIncompletePackages(t *testing.T) {
	var buf bytes.Buffer
	if _, err := convert(map[string][]byte{}, &buf); err == nil {
		t.Fatal("no model.json: no error")
	}
	files := map[string][]byte{
		"package/dist/model.json": []byte(`{"weightsManifest":[{"paths":["group1-shard1of1"],"weights":[{"name":"x","shape":[2],"dtype":"float32"}]}]}`),
	}
	if _, err := convert(files, &buf); err == nil || !strings.Contains(err.Error(), "missing shard") {
		t.Fatalf("missing shard: %v", err)
	}
	files["package/dist/group1-shard1of1"] = make([]byte, 8)
	if _, err := convert(files, &buf); err == nil || !strings.Contains(err.Error(), "constant") {
		t.Fatalf("graph without the expected constants: %v", err)
	}
}
