package ollamatest

import (
	"context"
	"os"
	"testing"
)

// Environment variables that select and require the real server in tests.
const (
	// EnvBin names the ollama binary (scripts/setup-ollama prints it).
	EnvBin = "OLLAMA_BIN"
	// EnvRequire, when "1", makes a missing EnvBin fail the test instead of skipping it (CI).
	EnvRequire = "MEMSVC_REQUIRE_OLLAMA"
)

// Binary returns the ollama binary named by OLLAMA_BIN. Without one it skips the test, or
// fails it when MEMSVC_REQUIRE_OLLAMA=1.
func Binary(t testing.TB) string {
	t.Helper()
	bin := os.Getenv(EnvBin)
	if bin == "" {
		if os.Getenv(EnvRequire) == "1" {
			t.Fatalf("%s is not set but %s=1: run scripts/setup-ollama (scripts/test does)", EnvBin, EnvRequire)
		}
		t.Skipf("%s is not set: skipping the tests against a real Ollama server (scripts/setup-ollama builds one)", EnvBin)
	}
	return bin
}

// Start starts a server for the test (see [New]) in a temporary directory and stops it when
// the test ends, logging the server's log tail if the test failed.
func Start(t testing.TB) *Server {
	t.Helper()
	s, err := New(context.Background(), Options{Bin: Binary(t), Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("ollama serve log (tail):\n%s", s.LogTail(4000))
		}
		s.Close()
	})
	return s
}
