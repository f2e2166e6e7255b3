package store

import "fmt"

// FormatError reports a file whose contents do not follow the expected
// format (safetensors, npy or npz).
type FormatError struct {
	Path   string // file being read
	Format string // "safetensors", "npy" or "npz"
	Entry  string // tensor or array name the defect belongs to, if any
	Reason string // what is wrong
}

func (e *FormatError) Error() string {
	if e.Entry != "" {
		return fmt.Sprintf("store: %s: invalid %s file: %q: %s", e.Path, e.Format, e.Entry, e.Reason)
	}
	return fmt.Sprintf("store: %s: invalid %s file: %s", e.Path, e.Format, e.Reason)
}

func formatErr(path, format, entry, reason string, args ...any) *FormatError {
	if len(args) > 0 {
		reason = fmt.Sprintf(reason, args...)
	}
	return &FormatError{Path: path, Format: format, Entry: entry, Reason: reason}
}
