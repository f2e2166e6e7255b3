// Package progress reports how far a long computation has come: a bar
// redrawn in place on a terminal, plain lines otherwise (logs, pipes, batch
// jobs). Short jobs print nothing: the first report comes only after Delay.
package progress

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
)

// Delay is how long a job runs before its progress is first shown.
const Delay = 2 * time.Second

// Bar reports the progress of one job of Total units. The zero value and a nil
// *Bar are silent. A Bar is safe for concurrent use.
type Bar struct {
	w        io.Writer
	label    string
	total    int
	terminal bool
	start    time.Time
	now      func() time.Time // the clock (tests replace it)

	mu       sync.Mutex
	done     int
	shown    bool      // something was printed
	lastLine time.Time // when the last plain line was printed
	lastPct  int       // percentage of the last plain line
}

// New starts reporting a job of total units with the given label on w (nil:
// silent). A bar is drawn when w is a terminal, plain lines otherwise.
func New(w io.Writer, label string, total int) *Bar {
	if w == nil || total <= 0 {
		return nil
	}
	return &Bar{w: w, label: label, total: total, terminal: IsTerminal(w), start: time.Now(), now: time.Now}
}

// IsTerminal reports whether w is a character device (a terminal).
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// Add records n more units done.
func (b *Bar) Add(n int) {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.done = min(b.done+n, b.total)
	now := b.now()
	elapsed := now.Sub(b.start)
	if elapsed < Delay {
		return
	}
	pct := 100 * b.done / b.total
	if b.terminal {
		fmt.Fprintf(b.w, "\r%s", b.barLine(elapsed))
		b.shown = true
		return
	}
	// Plain lines: every 10% or every 30 s, whichever comes first.
	if !b.shown || pct >= b.lastPct+10 || now.Sub(b.lastLine) >= 30*time.Second || b.done == b.total {
		if b.shown && pct == b.lastPct && b.done != b.total {
			return
		}
		fmt.Fprintln(b.w, b.plainLine(elapsed))
		b.shown, b.lastLine, b.lastPct = true, now, pct
	}
}

// Done ends the report: the bar is completed and its line ended.
func (b *Bar) Done() {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.terminal && b.shown {
		b.done = b.total
		fmt.Fprintf(b.w, "\r%s\n", b.barLine(b.now().Sub(b.start)))
	}
}

func (b *Bar) eta(elapsed time.Duration) string {
	if b.done == 0 {
		return "?"
	}
	left := time.Duration(float64(elapsed) * float64(b.total-b.done) / float64(b.done))
	return left.Round(time.Second).String()
}

func (b *Bar) barLine(elapsed time.Duration) string {
	const width = 30
	fill := width * b.done / b.total
	return fmt.Sprintf("%s [%s%s] %3d%% %d/%d %s, %s left ",
		b.label, strings.Repeat("=", fill), strings.Repeat(" ", width-fill),
		100*b.done/b.total, b.done, b.total, elapsed.Round(100*time.Millisecond), b.eta(elapsed))
}

func (b *Bar) plainLine(elapsed time.Duration) string {
	return fmt.Sprintf("%s: %d/%d (%d%%) after %s, about %s left",
		b.label, b.done, b.total, 100*b.done/b.total, elapsed.Round(100*time.Millisecond), b.eta(elapsed))
}
