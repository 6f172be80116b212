package kaibannet

import (
	"fmt"
	"io"
	"sync"
	"time"
)

// Progress prints the steps of a long operation, one line each, with how
// long each took. The zero value prints nothing.
type Progress struct {
	mu sync.Mutex
	w  io.Writer
}

// NewProgress returns a Progress printing to w (nil prints nothing).
func NewProgress(w io.Writer) *Progress { return &Progress{w: w} }

// Step prints that a step starts and returns the function that prints its
// outcome: "done", "skipped: <why>" or the error.
func (p *Progress) Step(format string, args ...any) func(outcome string, err error) {
	what := fmt.Sprintf(format, args...)
	start := time.Now()
	p.printf("  … %s\n", what)
	return func(outcome string, err error) {
		d := time.Since(start).Round(10 * time.Millisecond)
		switch {
		case err != nil:
			p.printf("  ✗ %s: %v (%s)\n", what, err, d)
		case outcome == "":
			p.printf("  ✓ %s (%s)\n", what, d)
		default:
			p.printf("  ✓ %s: %s (%s)\n", what, outcome, d)
		}
	}
}

// Phase prints the heading of a group of steps.
func (p *Progress) Phase(format string, args ...any) {
	p.printf("▶ "+format+"\n", args...)
}

// Note prints an informational line.
func (p *Progress) Note(format string, args ...any) {
	p.printf("    "+format+"\n", args...)
}

func (p *Progress) printf(format string, args ...any) {
	if p == nil || p.w == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.w, format, args...)
}

// outcome names what a step did: did is true when it changed something.
func outcome(did bool, skipped string) string {
	if did {
		return ""
	}
	return "already done" + skipped
}
