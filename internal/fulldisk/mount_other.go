//go:build !linux

package fulldisk

import "errors"

var errUnsupported = errors.New("tmpfs mounts are a Linux feature")

func mount(dir string, size int) error { return errUnsupported }
func unmount(dir string) error         { return errUnsupported }
func fill(dir string, keep int) error  { return errUnsupported }
