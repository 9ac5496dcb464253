package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestPythonClient runs the unittest suite of the Python client (clients/python) against a real
// `memsvc serve` on the embedded store, with API keys. Without python3 it skips, and fails
// instead when MEMSVC_REQUIRE_PYTHON=1, as scripts/test sets.
func TestPythonClient(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		if os.Getenv("MEMSVC_REQUIRE_PYTHON") == "1" {
			t.Fatal("python3 is missing but MEMSVC_REQUIRE_PYTHON=1")
		}
		t.Skip("python3 is missing")
	}
	dir, err := filepath.Abs("../../clients/python")
	if err != nil {
		t.Fatal(err)
	}
	bin := buildBinary(t)
	data := t.TempDir()
	newKey := func(args ...string) string {
		out, err := exec.Command(bin, append([]string{"keys", "create", "--data", data}, args...)...).Output()
		if err != nil {
			t.Fatalf("keys create: %v", err)
		}
		return strings.TrimSpace(string(out))
	}
	key, admin := newKey("--tenant", "acme"), newKey("--tenant", "acme", "--admin")
	_, c := startProcess(t, bin, "--data", data)

	cmd := exec.Command(py, "-m", "unittest", "-v", "test_memsvc")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "MEMSVC_URL="+c.base, "MEMSVC_API_KEY="+key, "MEMSVC_ADMIN_KEY="+admin, "PYTHONDONTWRITEBYTECODE=1")
	out, err := cmd.CombinedOutput()
	t.Logf("python3 -m unittest:\n%s", out)
	if err != nil {
		t.Fatalf("the Python client's suite failed: %v", err)
	}
	if strings.Contains(string(out), "skipped") {
		t.Fatal("the Python client's suite skipped tests")
	}
}
