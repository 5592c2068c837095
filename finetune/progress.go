package finetune

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// progress shows how an epoch advances: a progress bar with rate and ETA on
// a terminal, plain lines (about five per epoch) elsewhere, nothing for nil.
type progress struct {
	w        io.Writer
	bar      *progressbar.ProgressBar
	label    string
	total    int
	lastLine int
	start    time.Time
	first    int
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

func newProgress(w io.Writer, label string, total, done int) *progress {
	p := &progress{w: w, label: label, total: total, start: time.Now(), first: done, lastLine: done}
	if w != nil && isTerminal(w) {
		p.bar = progressbar.NewOptions(total,
			progressbar.OptionSetWriter(w),
			progressbar.OptionSetDescription(label),
			progressbar.OptionShowCount(),
			progressbar.OptionSetItsString("batch"),
			progressbar.OptionShowIts(),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionClearOnFinish(),
			progressbar.OptionThrottle(100*time.Millisecond))
		_ = p.bar.Set(done)
	}
	return p
}

func (p *progress) update(done int, loss, examplesPerSec float64) {
	if p.w == nil {
		return
	}
	if p.bar != nil {
		p.bar.Describe(fmt.Sprintf("%s loss %.3f %.1f img/s", p.label, loss, examplesPerSec))
		_ = p.bar.Set(done)
		return
	}
	if every := max(1, p.total/5); done-p.lastLine >= every || done == p.total {
		p.lastLine = done
		eta := ""
		if done > p.first && done < p.total {
			left := time.Duration(float64(time.Since(p.start)) / float64(done-p.first) * float64(p.total-done))
			eta = fmt.Sprintf(", ETA %s", left.Round(time.Second))
		}
		fmt.Fprintf(p.w, "%s: %d/%d batches, train loss %.3f, %.1f examples/sec%s\n", p.label, done, p.total, loss, examplesPerSec, eta)
	}
}

func (p *progress) finish() {
	if p.bar != nil {
		_ = p.bar.Finish()
	}
}

func (p *progress) abort() {
	if p.bar != nil {
		_ = p.bar.Exit()
		fmt.Fprintln(p.w)
	}
}
