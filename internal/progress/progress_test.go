package progress

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// fakeClock advances by step on every reading.
func fakeClock(start time.Time, step time.Duration) func() time.Time {
	t := start
	return func() time.Time { t = t.Add(step); return t }
}

func TestPlainLines(t *testing.T) {
	var buf bytes.Buffer
	b := New(&buf, "sample", 1000)
	if b.terminal {
		t.Fatal("a bytes.Buffer is not a terminal")
	}
	b.now = fakeClock(b.start, time.Second)
	for i := 0; i < 100; i++ {
		b.Add(10)
	}
	b.Done()
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	// Silent for the first 2 s, then one line per 10% (or 30 s): 11 or fewer.
	if len(lines) < 5 || len(lines) > 12 {
		t.Fatalf("%d lines:\n%s", len(lines), buf.String())
	}
	if !strings.HasPrefix(lines[0], "sample: 20/1000 (2%)") {
		t.Errorf("first line %q", lines[0])
	}
	if last := lines[len(lines)-1]; !strings.HasPrefix(last, "sample: 1000/1000 (100%)") {
		t.Errorf("last line %q", last)
	}
}

func TestShortJobIsSilent(t *testing.T) {
	var buf bytes.Buffer
	b := New(&buf, "hmc", 10)
	b.now = fakeClock(b.start, time.Millisecond)
	for i := 0; i < 10; i++ {
		b.Add(1)
	}
	b.Done()
	if buf.Len() != 0 {
		t.Errorf("a short job printed %q", buf.String())
	}
}

func TestBarOnTerminal(t *testing.T) {
	var buf bytes.Buffer
	b := New(&buf, "hmc", 4)
	b.terminal = true // as if buf were a terminal
	b.now = fakeClock(b.start, 3*time.Second)
	b.Add(1)
	b.Add(1)
	b.Done()
	out := buf.String()
	if !strings.HasPrefix(out, "\rhmc [=======") || !strings.HasSuffix(out, "\n") || strings.Count(out, "\r") != 3 {
		t.Errorf("bar output %q", out)
	}
	if !strings.Contains(out, "100% 4/4") {
		t.Errorf("Done did not complete the bar: %q", out)
	}
}

func TestNilBarIsSilent(t *testing.T) {
	var b *Bar
	b.Add(3)
	b.Done()
	if New(nil, "x", 5) != nil || New(&bytes.Buffer{}, "x", 0) != nil {
		t.Error("New with no writer or no work should give a nil (silent) bar")
	}
}
