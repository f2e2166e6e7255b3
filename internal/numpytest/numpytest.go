// Package numpytest finds a Python interpreter with NumPy for the tests
// that check that NumPy reads what normflow writes (and the other way).
package numpytest

import (
	"os"
	"os/exec"
	"testing"
)

// Python returns a Python interpreter that can import numpy, trying
// $NORMFLOW_PYTHON, python3 on PATH and /usr/bin/python3, or skips the test
// (fails it under CI=true, where .ci/run installs NumPy).
func Python(t testing.TB) string {
	t.Helper()
	var candidates []string
	if p := os.Getenv("NORMFLOW_PYTHON"); p != "" {
		candidates = append(candidates, p)
	}
	candidates = append(candidates, "python3", "/usr/bin/python3")
	for _, c := range candidates {
		if exec.Command(c, "-c", "import numpy").Run() == nil {
			return c
		}
	}
	msg := "no Python interpreter with numpy found (tried $NORMFLOW_PYTHON, python3, /usr/bin/python3)"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg + ": CI must check interoperability (.ci/run installs python3-numpy)")
	}
	t.Skip(msg + "; interoperability not checked")
	return ""
}
