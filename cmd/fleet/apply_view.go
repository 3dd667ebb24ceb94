package main

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"sync"

	"fleet/executor"
	"fleet/internal/planview"
	"fleet/internal/workflow"
	"fleet/planner"
)

// applyView shows the progress of an apply: the plan, one event per step of a call, the state
// saved and a closing summary.
type applyView interface {
	Plan(p *planner.Plan) error
	Event(e executor.Event)
	Saved(path string, serial uint64)
	Summary(r *executor.Result)
	Waited(c workflow.WaitCounts)
}

// newApplyView returns the view the flags and the output ask for. sources are the spec
// files' bytes, for the source lines of diagnostics.
func newApplyView(f *applyFlags, out io.Writer, sources map[string][]byte) applyView {
	if f.json {
		return &jsonApplyView{enc: json.NewEncoder(out)}
	}
	if applyIsTerminal(out) {
		return newBarApplyView(out, sources)
	}
	return &lineApplyView{out: out, sources: sources}
}

// jsonApplyView prints one JSON object per line.
type jsonApplyView struct {
	mu  sync.Mutex
	enc *json.Encoder
}

func (v *jsonApplyView) emit(x any) {
	v.mu.Lock()
	defer v.mu.Unlock()
	_ = v.enc.Encode(x)
}

// Plan emits the plan as the JSON document of fleet plan --json, in an event.
func (v *jsonApplyView) Plan(p *planner.Plan) error {
	v.emit(struct {
		Type string            `json:"type"`
		Plan planview.Document `json:"plan"`
	}{"plan", planview.NewDocument(p)})
	return nil
}

func (v *jsonApplyView) Event(e executor.Event) { v.emit(e) }

func (v *jsonApplyView) Saved(path string, serial uint64) {
	v.emit(struct {
		Type   string `json:"type"`
		Path   string `json:"path"`
		Serial uint64 `json:"serial"`
	}{"state_saved", path, serial})
}

func (v *jsonApplyView) Waited(c workflow.WaitCounts) {
	v.emit(struct {
		Type string `json:"type"`
		workflow.WaitCounts
	}{"waited", c})
}

func (v *jsonApplyView) Summary(r *executor.Result) {
	v.emit(struct {
		Type      string `json:"type"`
		Bought    int    `json:"bought"`
		Calls     int    `json:"calls"`
		Done      int    `json:"done"`
		Failed    int    `json:"failed"`
		Pending   int    `json:"pending"`
		Skipped   int    `json:"skipped"`
		Retries   int    `json:"retries"`
		ElapsedMS int64  `json:"elapsed_ms"`
	}{"summary", r.Bought, r.Calls, r.Done, r.Failed, r.Pending, r.Skipped, r.Retries, r.Elapsed.Milliseconds()})
}

// lineApplyView prints one plain line per finished call, for CI logs.
type lineApplyView struct {
	out     io.Writer
	sources map[string][]byte
}

func (v *lineApplyView) Plan(p *planner.Plan) error {
	return planview.Human(v.out, p, v.sources, wantColor(v.out))
}

func (v *lineApplyView) Event(e executor.Event) {
	if line := applyEventLine(e); line != "" {
		fmt.Fprintln(v.out, line)
	}
}

func (v *lineApplyView) Saved(path string, serial uint64) {
	fmt.Fprintf(v.out, "State saved to %s (serial %d).\n", path, serial)
}

func (v *lineApplyView) Summary(r *executor.Result) { applySummary(v.out, r) }

func (v *lineApplyView) Waited(c workflow.WaitCounts) { applyWaited(v.out, c) }

// applyWaited writes the outcome of --wait.
func applyWaited(out io.Writer, c workflow.WaitCounts) {
	fmt.Fprintf(out, "Instances: %d running, %d failed to be created, %d still creating.\n", c.Running, c.Failed, c.Creating)
	for _, group := range slices.Sorted(maps.Keys(c.FailedIDs)) {
		fmt.Fprintf(out, "  %s: creation failed: %s\n", group, strings.Join(c.FailedIDs[group], ", "))
	}
}

// applyEventLine is the line of a finished call, or "" for an event that is not one.
func applyEventLine(e executor.Event) string {
	call := fmt.Sprintf("%s #%d", e.Group, e.Seq)
	if e.Resume {
		call += " (resumed)"
	}
	switch e.Type {
	case executor.EventCallDone:
		return fmt.Sprintf("done     %s: %d of %d instances (%s) in %s", call, len(e.InstanceIDs), e.GoodsNum, applyShortIDs(e.InstanceIDs), countNoun(e.Attempt, "attempt"))
	case executor.EventCallAdopted:
		return fmt.Sprintf("adopted  %s: %d of %d instances (%s) found by their name marker %s; nothing was bought again", call, len(e.InstanceIDs), e.GoodsNum, applyShortIDs(e.InstanceIDs), e.Marker)
	case executor.EventCallFailed:
		return fmt.Sprintf("failed   %s: %s", call, e.Error)
	case executor.EventCallPending:
		return fmt.Sprintf("unknown  %s: %s (outcome unknown; run fleet apply again to resolve it)", call, e.Error)
	case executor.EventCallSkipped:
		return fmt.Sprintf("skipped  %s: %s", call, e.Error)
	}
	return ""
}

func applyShortIDs(ids []string) string {
	switch {
	case len(ids) == 0:
		return "none"
	case len(ids) <= 3:
		return strings.Join(ids, ", ")
	}
	return fmt.Sprintf("%s, ... %s", strings.Join(ids[:2], ", "), ids[len(ids)-1])
}

// applySummary writes the closing summary of an apply.
func applySummary(out io.Writer, r *executor.Result) {
	head := "Apply complete"
	switch {
	case r.Pending > 0:
		head = "Apply stopped with purchases of unknown outcome"
	case r.Interrupted:
		head = "Apply interrupted"
	case r.Failed > 0 || r.Skipped > 0:
		head = "Apply finished with errors"
	}
	fmt.Fprintf(out, "%s: bought %s in %s; %s, %d failed, %d unknown, %d skipped; %s.\n",
		head, countNoun(r.Bought, "instance"), countNoun(r.Calls, "call"), applyRetries(r.Retries), r.Failed, r.Pending, r.Skipped, applyElapsed(r.Elapsed))
	if r.Adopted > 0 {
		fmt.Fprintf(out, "Adopted %s of pending calls found by their name markers; none was bought again.\n", countNoun(r.Adopted, "instance"))
	}
	if r.Pending > 0 {
		fmt.Fprintln(out, "Run fleet apply again: it resolves the pending calls with their recorded client tokens, never buying twice.")
	}
}

func applyRetries(n int) string {
	if n == 1 {
		return "1 retry"
	}
	return fmt.Sprintf("%d retries", n)
}
