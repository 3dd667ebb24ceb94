package main

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"

	"fleet/executor"
	"fleet/internal/planview"
	"fleet/internal/workflow"
	"fleet/planner"
)

// barApplyView draws a live progress bar on a terminal: instances bought of those planned,
// calls done, retries and the elapsed time. Failed and unknown calls are printed above it.
// An apply that stops short (interrupted, or with failed calls) leaves the bar where it
// stopped.
type barApplyView struct {
	out     io.Writer
	sources map[string][]byte

	mu      sync.Mutex
	bar     *progressbar.ProgressBar
	drawn   time.Time // when the bar was last asked to draw itself
	calls   int
	done    int
	retries int
}

// barThrottle is the least time between two drawings of the bar.
const barThrottle = 100 * time.Millisecond

func newBarApplyView(out io.Writer, sources map[string][]byte) *barApplyView {
	return &barApplyView{out: out, sources: sources}
}

func (v *barApplyView) Plan(p *planner.Plan) error {
	if err := planview.Human(v.out, p, v.sources, applyWantColor(v.out)); err != nil {
		return err
	}
	if !p.Applyable() || !p.HasChanges() {
		return nil
	}
	total := 0
	for _, c := range p.Calls() {
		total += c.GoodsNum
	}
	v.calls = p.Summary.Calls
	v.bar = progressbar.NewOptions(total,
		// The terminal itself, so that the bar fits its width.
		progressbar.OptionSetWriter(applyRaw(v.out)),
		progressbar.OptionSetDescription(v.describe()),
		progressbar.OptionShowCount(),
		progressbar.OptionSetElapsedTime(true),
		progressbar.OptionSetPredictTime(false),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(barThrottle),
		progressbar.OptionEnableColorCodes(applyWantColor(v.out)),
		progressbar.OptionOnCompletion(func() { fmt.Fprintln(v.out) }),
	)
	return nil
}

func (v *barApplyView) describe() string {
	return fmt.Sprintf("calls %d/%d · %s · instances bought", v.done, v.calls, applyRetries(v.retries))
}

func (v *barApplyView) Event(e executor.Event) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.bar == nil {
		return
	}
	bought := 0
	switch e.Type {
	case executor.EventCallRetried:
		v.retries++
	case executor.EventCallDone:
		v.done++
		bought = len(e.InstanceIDs)
	case executor.EventCallFailed, executor.EventCallPending, executor.EventCallAdopted:
		v.done++
		_ = v.bar.Clear()
		fmt.Fprintln(v.out, applyEventLine(e))
	default:
		if line := keepEventLine(e); line != "" {
			_ = v.bar.Clear()
			fmt.Fprintln(v.out, line)
		}
		return
	}
	if v.bar.IsFinished() {
		return // a full bar has ended its line: drawing it again would not
	}
	// The description first: the drawing that fills the bar is its last.
	v.bar.Describe(v.describe())
	if bought > 0 {
		_ = v.bar.Add(bought)
	}
	v.drawn = time.Now()
}

// Saved ends the bar, showing what was bought, and reports the state saved.
func (v *barApplyView) Saved(path string, serial uint64) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.bar != nil {
		v.stopBar()
	}
	fmt.Fprintf(v.out, "State saved to %s (serial %d).\n", path, serial)
}

// stopBar draws the bar a last time as it stands and ends its line. A bar that is not full
// stays where it is: it shows the instances actually bought.
func (v *barApplyView) stopBar() {
	st := v.bar.State()
	if st.CurrentNum >= st.Max {
		_ = v.bar.Finish() // full: drawn, and its line ended, by the bar itself
		v.bar = nil
		return
	}
	// The bar skips drawings that follow one another within barThrottle: wait that long
	// since the last, so that the final state is drawn.
	if wait := barThrottle - time.Since(v.drawn); wait > 0 {
		time.Sleep(wait)
	}
	v.bar.Describe(v.describe())
	_ = v.bar.Exit() // ends the line
	v.bar = nil
}

// Summary writes the closing summary, below the bar (still live when the state could not be
// saved).
func (v *barApplyView) Summary(r *executor.Result) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.bar != nil {
		v.stopBar()
	}
	applySummary(v.out, r)
}

func (v *barApplyView) Waited(c workflow.WaitCounts) { applyWaited(v.out, c) }
