package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/dxtrain/dxtrain/trainer/loop"
)

// progressBar draws training progress on one terminal line, redrawn at most ten times a
// second; validation results get lines of their own. Off a terminal it prints only
// the validation lines, so logs stay readable.
type progressBar struct {
	w        io.Writer
	terminal bool
	last     time.Time
}

func newProgressBar(w *os.File) *progressBar {
	info, err := w.Stat()
	return &progressBar{w: w, terminal: err == nil && info.Mode()&os.ModeCharDevice != 0}
}

func (b *progressBar) update(p loop.Progress) {
	if p.Validation != nil {
		b.clear()
		fmt.Fprintf(b.w, "epoch %3d/%d  step %6d  val loss %.4f  accuracy %.4f  AUROC %.4f\n",
			p.Epoch, p.Epochs, p.Step, p.Validation.Loss, p.Validation.Accuracy, p.Validation.AUROC)
		return
	}
	if !b.terminal || (time.Since(b.last) < 100*time.Millisecond && p.Step != p.TotalSteps) {
		return
	}
	b.last = time.Now()
	const width = 30
	done := int(float64(width) * float64(p.Step) / float64(max(p.TotalSteps, 1)))
	fmt.Fprintf(b.w, "\r[%s%s] step %d/%d  loss %.4f  %.0f samples/s ",
		strings.Repeat("=", done), strings.Repeat(" ", width-done), p.Step, p.TotalSteps, p.Loss, p.SamplesPerSec)
}

func (b *progressBar) clear() {
	if b.terminal {
		fmt.Fprint(b.w, "\r\033[K")
	}
}
