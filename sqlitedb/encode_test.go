package sqlitedb

import (
	"testing"
)

func TestVectorRoundTrip(t *testing.T) {
	v := []float32{0, 1, -1.5, 3.25e-8}
	got, err := DecodeVector(EncodeVector(v))
	if err != nil {
		t.Fatal(err)
	}
	for i := range v {
		if got[i] != v[i] {
			t.Fatalf("got %v, want %v", got, v)
		}
	}
	if _, err := DecodeVector([]byte{1, 2, 3}); err == nil {
		t.Fatal("a 3-byte blob must be an error")
	}
}
