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
type barApplyView struct {
	out     io.Writer
	sources map[string][]byte

	mu      sync.Mutex
	bar     *progressbar.ProgressBar
	calls   int
	done    int
	retries int
}

func newBarApplyView(out io.Writer, sources map[string][]byte) *barApplyView {
	return &barApplyView{out: out, sources: sources}
}

func (v *barApplyView) Plan(p *planner.Plan) error {
	if err := planview.Human(v.out, p, v.sources, wantColor(v.out)); err != nil {
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
		progressbar.OptionSetWriter(v.out),
		progressbar.OptionSetDescription(v.describe()),
		progressbar.OptionShowCount(),
		progressbar.OptionSetElapsedTime(true),
		progressbar.OptionSetPredictTime(false),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionEnableColorCodes(wantColor(v.out)),
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
	switch e.Type {
	case executor.EventCallRetried:
		v.retries++
	case executor.EventCallDone:
		v.done++
		_ = v.bar.Add(len(e.InstanceIDs))
	case executor.EventCallFailed, executor.EventCallPending, executor.EventCallAdopted:
		v.done++
		_ = v.bar.Clear()
		fmt.Fprintln(v.out, applyEventLine(e))
	default:
		return
	}
	v.bar.Describe(v.describe())
}

func (v *barApplyView) Saved(path string, serial uint64) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.bar != nil {
		_ = v.bar.Finish()
		v.bar = nil
	}
	fmt.Fprintf(v.out, "State saved to %s (serial %d).\n", path, serial)
}

func (v *barApplyView) Summary(r *executor.Result) { applySummary(v.out, r) }

func (v *barApplyView) Waited(c workflow.WaitCounts) { applyWaited(v.out, c) }
