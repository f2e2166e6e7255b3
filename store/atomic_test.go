package store

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"

	"github.com/normflow/normflow-go/internal/fulldisk"
)

func TestAtomicWriteFileCreatesAndReplaces(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "out.json")
	for _, content := range []string{`{"a":1}`, `{"a":2,"b":3}`} {
		err := AtomicWriteFile(p, func(w io.Writer) error {
			_, err := io.WriteString(w, content)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != content {
			t.Fatalf("content %q, want %q", got, content)
		}
	}
	if runtime.GOOS != "windows" {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o644 {
			t.Errorf("new file mode %v, want 0644", fi.Mode().Perm())
		}
	}
	noTempFiles(t, dir)
}

func TestAtomicWriteFileKeepsOldFileOnError(t *testing.T) {
	dir := t.TempDir()
	p := writeRaw(t, dir, "ckpt.bin", []byte("old contents"))
	boom := errors.New("boom")
	err := AtomicWriteFile(p, func(w io.Writer) error {
		if _, err := io.WriteString(w, "partial new contents"); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want it to wrap %v", err, boom)
	}
	got, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != "old contents" {
		t.Fatalf("target changed to %q", got)
	}
	noTempFiles(t, dir)
}

func TestAtomicWriteFileKeepsOldFileOnPanic(t *testing.T) {
	dir := t.TempDir()
	p := writeRaw(t, dir, "ckpt.bin", []byte("old contents"))
	func() {
		defer func() {
			if recover() == nil {
				t.Fatal("panic was swallowed")
			}
		}()
		_ = AtomicWriteFile(p, func(w io.Writer) error {
			_, _ = io.WriteString(w, "partial")
			panic("write function crashed")
		})
	}()
	got, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != "old contents" {
		t.Fatalf("target changed to %q", got)
	}
	noTempFiles(t, dir)
}

func TestAtomicWriteFileNoTargetOnError(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "new.csv")
	err := AtomicWriteFile(p, func(w io.Writer) error { return errors.New("fail") })
	if err == nil {
		t.Fatal("want error")
	}
	if _, err := os.Stat(p); !os.IsNotExist(err) {
		t.Fatalf("target exists after failed write: %v", err)
	}
	noTempFiles(t, dir)
}

func TestAtomicWriteFileMissingDir(t *testing.T) {
	p := filepath.Join(t.TempDir(), "no", "such", "dir", "f")
	if err := AtomicWriteFile(p, func(w io.Writer) error { return nil }); err == nil {
		t.Fatal("want error for a missing directory")
	}
}

func TestAtomicWriteFileKeepsModeAndSymlink(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("permission bits and symlinks differ on Windows")
	}
	dir := t.TempDir()
	real := writeRaw(t, dir, "real.txt", []byte("old"))
	if err := os.Chmod(real, 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.txt")
	if err := os.Symlink("real.txt", link); err != nil {
		t.Fatal(err)
	}
	err := AtomicWriteFile(link, func(w io.Writer) error {
		_, err := io.WriteString(w, "new")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("symlink was replaced: %v %v", fi, err)
	}
	got, err := os.ReadFile(real)
	if err != nil || string(got) != "new" {
		t.Fatalf("real file = %q, %v; want \"new\"", got, err)
	}
	fi, err := os.Stat(real)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600 kept", fi.Mode().Perm())
	}
	noTempFiles(t, dir)
}

func TestAtomicWriteFileDirectoryTarget(t *testing.T) {
	dir := t.TempDir()
	if err := AtomicWriteFile(dir, func(w io.Writer) error { return nil }); err == nil {
		t.Fatal("want error when the target is a directory")
	}
}

// On a full disk (a small tmpfs) an atomic write fails with the kernel's
// "no space left on device", names the file, leaves the previous file intact
// and no temporary file behind.
func TestAtomicWriteFileDiskFull(t *testing.T) {
	dir := fulldisk.Dir(t, 256<<10)
	p := filepath.Join(dir, "model.safetensors")
	old := []byte("previous contents")
	if err := AtomicWriteFile(p, func(w io.Writer) error { _, err := w.Write(old); return err }); err != nil {
		t.Fatal(err)
	}
	fulldisk.Fill(t, dir, 16<<10)
	big := make([]byte, 1<<20)
	err := AtomicWriteFile(p, func(w io.Writer) error { _, err := w.Write(big); return err })
	if err == nil || !errors.Is(err, syscall.ENOSPC) || !strings.Contains(err.Error(), p) {
		t.Fatalf("write on a full disk: %v, want ENOSPC naming %s", err, p)
	}
	t.Logf("error: %v", err)
	if got, _ := os.ReadFile(p); string(got) != string(old) {
		t.Errorf("previous file now %q", got)
	}
	if err := os.Remove(filepath.Join(dir, "filler")); err != nil {
		t.Fatal(err)
	}
	noTempFiles(t, dir)
}
