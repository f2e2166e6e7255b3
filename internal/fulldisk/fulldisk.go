// Package fulldisk gives tests a small file system that fills up: a tmpfs of
// a given size, mounted for the test and unmounted after it, so that writes
// fail with the kernel's own "no space left on device" (ENOSPC). Mounting
// needs root on Linux; elsewhere, or without the privilege, the test is
// skipped with a message saying why.
package fulldisk

import "testing"

// Dir returns an empty directory on a fresh tmpfs of size bytes (rounded up
// by the kernel to whole pages), or skips the test when none can be mounted.
func Dir(t testing.TB, size int) string {
	t.Helper()
	dir := t.TempDir()
	if err := mount(dir, size); err != nil {
		t.Skipf("cannot mount a %d-byte tmpfs for the disk-full test (%v): needs root on Linux", size, err)
	}
	t.Cleanup(func() {
		if err := unmount(dir); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	})
	return dir
}

// Fill writes a file into dir until the file system is full, leaving at most
// keep bytes free (as far as page granularity allows), or until a write
// fails with ENOSPC (when a process under test writes at the same time).
func Fill(t testing.TB, dir string, keep int) {
	t.Helper()
	if err := fill(dir, keep); err != nil {
		t.Fatalf("fill %s: %v", dir, err)
	}
}
