package store

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// wantFormatError fails unless err is a *FormatError for path whose
// message contains every fragment.
func wantFormatError(t *testing.T, err error, path string, fragments ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got nil error, want a format error mentioning %q", fragments)
	}
	var fe *FormatError
	if !errors.As(err, &fe) {
		t.Fatalf("got %T %v, want *FormatError", err, err)
	}
	if fe.Path != path || !strings.Contains(err.Error(), path) {
		t.Fatalf("error %q does not name the file %s", err, path)
	}
	for _, f := range fragments {
		if !strings.Contains(err.Error(), f) {
			t.Fatalf("error %q does not mention %q", err, f)
		}
	}
}

// sameFloats compares bit patterns, so NaN and -0 round trips are checked.
func sameFloats(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
			return false
		}
	}
	return true
}

func sameInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// writeRaw writes b to a new file in dir and returns its path.
func writeRaw(t *testing.T, dir, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// noTempFiles fails if a temporary file of AtomicWriteFile is left in dir.
func noTempFiles(t *testing.T, dir string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("temporary file %s left behind", e.Name())
		}
	}
}
