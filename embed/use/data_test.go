package use

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"strings"
	"testing"
)

// TestModelFileChecksum ties the embedded model to PROVENANCE.md.
func TestModelFileChecksum(t *testing.T) {
	sum := sha256.Sum256([]byte(modelData))
	got := hex.EncodeToString(sum[:])
	if got != modelSHA256 {
		t.Fatalf("uselite.bin sha256 %s, data.go says %s", got, modelSHA256)
	}
	prov, err := os.ReadFile("PROVENANCE.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(prov), "uselite.bin sha256: `"+got+"`") {
		t.Fatalf("PROVENANCE.md does not record sha256 %s", got)
	}
}

// TestParseModelFileRejectsDamage checks that a truncated or altered file
// is an error, not a panic.
func TestParseModelFileRejectsDamage(t *testing.T) {
	for _, n := range []int{0, 7, 12, 100, len(modelData) / 2, len(modelData) - 1} {
		if _, err := parseModelFile(modelData[:n]); err == nil {
			t.Errorf("truncated to %d bytes: no error", n)
		}
	}
	if _, err := parseModelFile(modelData + "x"); err == nil {
		t.Error("trailing byte: no error")
	}
	if _, err := parseModelFile("USELITE\n\x02\x00\x00\x00"); err == nil {
		t.Error("version 2: no error")
	}
}
