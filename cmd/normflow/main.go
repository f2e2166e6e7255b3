// Command normflow trains normalizing flows for lattice field theories and
// samples them exactly. Run `normflow help` for the commands.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/normflow/normflow-go/dist"
	"github.com/spf13/cobra"
)

// usageError marks bad input: the command exits with status 2 and a one-line
// message naming the offending flag, key, value or file.
type usageError struct{ err error }

func (u usageError) Error() string { return u.err.Error() }
func (u usageError) Unwrap() error { return u.err }

func badInput(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

func main() {
	root := &cobra.Command{
		Use:   "normflow",
		Short: "Normalizing flows for lattice field theory: train, then sample exactly",
		Long: `normflow trains a normalizing flow (prior + invertible layers) to sample
p(φ) ∝ exp(−S[φ]) of a lattice field theory by self-training on the reverse
KL divergence, then turns the flow into an exact sampler (independence
Metropolis). With no arguments, 'normflow train' runs the seed library's
one-site φ⁴ example.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(trainCmd(), sampleCmd(), measureCmd(), hmcCmd(), plotCmd(), benchCmd())
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	// Under mpirun (build tag mpi) every rank runs the command; rank 0 alone
	// prints, and writes files (packages run and ensemble).
	world := dist.World()
	if world.Rank() != 0 {
		root.SetOut(io.Discard)
		root.SetErr(io.Discard)
	}
	err := root.Execute()
	if err == nil {
		dist.Finalize()
		return
	}
	var u usageError
	usage := errors.As(err, &u) || isCobraUsage(err)
	var ec interface{ ExitCode() int } // train stopped by a signal: 128 + its number
	stopped := errors.As(err, &ec)
	switch {
	case world.Rank() == 0:
		fmt.Fprintln(os.Stderr, "normflow:", oneLine(err.Error()))
	case !usage && !stopped: // bad input and stops are the same on every rank: rank 0 reports them
		fmt.Fprintf(os.Stderr, "normflow (rank %d): %s\n", world.Rank(), oneLine(err.Error()))
	}
	if usage {
		dist.Finalize()
		os.Exit(2)
	}
	if stopped {
		dist.Finalize()
		os.Exit(ec.ExitCode())
	}
	if world.Size() > 1 {
		dist.Abort(1) // the other ranks may be waiting in a collective
	}
	os.Exit(1)
}

// isCobraUsage recognises cobra's own argument errors (unknown command, etc.).
// Flag errors already arrive as usageError through the flag error function.
// Only the start of the message is matched: an I/O error that merely contains
// "invalid argument" (EINVAL) is not bad input.
func isCobraUsage(err error) bool {
	msg := err.Error()
	for _, p := range []string{"unknown command ", "unknown flag", "unknown shorthand", "accepts ", "requires at least ", "invalid argument "} {
		if strings.HasPrefix(msg, p) {
			return true
		}
	}
	return false
}

// oneLine folds a multi-line error message into one line: cobra puts its
// "Did you mean this?" suggestions for a misspelled command on lines of their
// own.
func oneLine(msg string) string {
	msg = strings.TrimSpace(msg)
	if head, sugg, ok := strings.Cut(msg, "\n\nDid you mean this?\n"); ok {
		msg = head + " (did you mean " + strings.Join(strings.Fields(sugg), " or ") + "?)"
	}
	var lines []string
	for _, l := range strings.Split(msg, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	return strings.Join(lines, "; ")
}
