//go:build !mpi

package dist

import "os"

// World is the communicator of every process of the run. Built without the
// tag `mpi` it is Self: the process is alone.
func World() Comm { return Self{} }

// Finalize ends the use of MPI; without the tag `mpi` it does nothing.
func Finalize() {}

// Abort ends the whole run with exit status code; without the tag `mpi` that
// is this process alone.
func Abort(code int) { os.Exit(code) }

// Backend names the implementation of World: "single" or "mpi".
const Backend = "single"
