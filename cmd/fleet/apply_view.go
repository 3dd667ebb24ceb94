package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"sync"

	"fleet/executor"
	"fleet/internal/planview"
	"fleet/internal/state"
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

// applyCallRef names one call in JSON.
type applyCallRef struct {
	Group  string `json:"group"`
	Seq    int    `json:"seq"`
	Resume bool   `json:"resume,omitempty"`
}

// Summary emits the closing counts, whether the apply was interrupted and the calls it did
// not start.
func (v *jsonApplyView) Summary(r *executor.Result) {
	var notStarted []applyCallRef
	for _, o := range applyNotStarted(r) {
		notStarted = append(notStarted, applyCallRef{Group: o.Group, Seq: o.Seq, Resume: o.Resume})
	}
	v.emit(struct {
		Type        string         `json:"type"`
		Bought      int            `json:"bought"`
		Calls       int            `json:"calls"`
		Done        int            `json:"done"`
		Failed      int            `json:"failed"`
		Pending     int            `json:"pending"`
		Skipped     int            `json:"skipped"`
		Retries     int            `json:"retries"`
		ElapsedMS   int64          `json:"elapsed_ms"`
		Interrupted bool           `json:"interrupted"`
		NotStarted  []applyCallRef `json:"not_started,omitempty"`
		// Renewals and renew flags.
		Renewed      int `json:"renewed,omitempty"`
		RenewFound   int `json:"renew_found,omitempty"`
		RenewFailed  int `json:"renew_failed,omitempty"`
		RenewPending int `json:"renew_pending,omitempty"`
		RenewSkipped int `json:"renew_skipped,omitempty"`
		Flagged      int `json:"flagged,omitempty"`
		FlagFailed   int `json:"flag_failed,omitempty"`
		FlagSkipped  int `json:"flag_skipped,omitempty"`
	}{"summary", r.Bought, r.Calls, r.Done, r.Failed, r.Pending, r.Skipped, r.Retries, r.Elapsed.Milliseconds(), r.Interrupted, notStarted,
		r.Keep.Renewed, r.Keep.Found, r.Keep.RenewFailed, r.Keep.RenewPending, r.Keep.RenewSkipped, r.Keep.Flagged, r.Keep.FlagFailed, r.Keep.FlagSkipped})
}

// lineApplyView prints one plain line per finished call, for CI logs.
type lineApplyView struct {
	out     io.Writer
	sources map[string][]byte
}

func (v *lineApplyView) Plan(p *planner.Plan) error {
	return planview.Human(v.out, p, v.sources, applyWantColor(v.out))
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
		return fmt.Sprintf("done     %s: %d of %s (%s) in %s", call, len(e.InstanceIDs), countNoun(e.GoodsNum, "instance"), applyShortIDs(e.InstanceIDs), countNoun(e.Attempt, "attempt"))
	case executor.EventCallAdopted:
		return fmt.Sprintf("adopted  %s: %d of %s (%s) found by their name marker %s; nothing was bought again", call, len(e.InstanceIDs), countNoun(e.GoodsNum, "instance"), applyShortIDs(e.InstanceIDs), e.Marker)
	case executor.EventCallFailed:
		return fmt.Sprintf("failed   %s: %s", call, e.Error)
	case executor.EventCallPending:
		return fmt.Sprintf("unknown  %s: %s (outcome unknown; run fleet apply again to resolve it)", call, e.Error)
	case executor.EventCallSkipped:
		return fmt.Sprintf("skipped  %s: %s", call, e.Error)
	}
	return keepEventLine(e)
}

// keepEventLine is the line of a finished renewal or renew flag call, or "".
func keepEventLine(e executor.Event) string {
	ids := applyShortIDs(e.InstanceIDs)
	deadline := ""
	if e.Deadline != nil {
		deadline = e.Deadline.UTC().Format("2006-01-02 15:04 UTC")
	}
	flag := ""
	if e.Flag != nil {
		flag = planner.FlagName(*e.Flag)
	}
	switch e.Type {
	case executor.EventRenewDone:
		return fmt.Sprintf("renewed  %s %s: %s, now expires %s", e.Group, ids, countNoun(e.Period, "month"), deadline)
	case executor.EventRenewFound:
		return fmt.Sprintf("renewed  %s %s: found renewed by an earlier apply (expires %s); nothing was sent again", e.Group, ids, deadline)
	case executor.EventRenewFailed:
		return fmt.Sprintf("failed   %s %s: renewal refused: %s", e.Group, ids, e.Error)
	case executor.EventRenewPending:
		return fmt.Sprintf("unknown  %s %s: renewal outcome unknown: %s (run fleet apply again: it reads the deadline before anything is sent)", e.Group, ids, e.Error)
	case executor.EventRenewSkipped:
		return fmt.Sprintf("skipped  %s %s: renewal not started: %s", e.Group, ids, e.Error)
	case executor.EventFlagDone:
		return fmt.Sprintf("flagged  %s %s: renew flag %s", e.Group, ids, flag)
	case executor.EventFlagFailed:
		return fmt.Sprintf("failed   %s %s: renew flag %s not set: %s", e.Group, ids, flag, e.Error)
	case executor.EventFlagSkipped:
		return fmt.Sprintf("skipped  %s %s: renew flag %s not sent: %s", e.Group, ids, flag, e.Error)
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
	k := r.Keep
	switch {
	case r.Pending > 0 && k.RenewPending > 0:
		head = "Apply stopped with purchases and renewals of unknown outcome"
	case r.Pending > 0:
		head = "Apply stopped with purchases of unknown outcome"
	case k.RenewPending > 0:
		head = "Apply stopped with renewals of unknown outcome"
	case r.Interrupted:
		head = "Apply interrupted"
	case r.Failed > 0 || r.Skipped > 0 || k.Failed():
		head = "Apply finished with errors"
	}
	fmt.Fprintf(out, "%s: bought %s in %s; %s, %d failed, %d unknown, %d skipped; %s.\n",
		head, countNoun(r.Bought, "instance"), countNoun(r.Calls, "call"), applyRetries(r.Retries), r.Failed, r.Pending, r.Skipped, applyElapsed(r.Elapsed))
	if r.Adopted > 0 {
		fmt.Fprintf(out, "Adopted %s of pending calls found by their name markers; none was bought again.\n", countNoun(r.Adopted, "instance"))
	}
	if n := k.Renewed + k.Found + k.RenewFailed + k.RenewPending + k.RenewSkipped; n > 0 {
		fmt.Fprintf(out, "Renewals: %d renewed, %d found renewed by an earlier apply, %d failed, %d unknown, %d skipped.\n",
			k.Renewed, k.Found, k.RenewFailed, k.RenewPending, k.RenewSkipped)
	}
	if n := k.Flagged + k.FlagFailed + k.FlagSkipped; n > 0 {
		fmt.Fprintf(out, "Renew flags: %d set, %d failed, %d skipped.\n", k.Flagged, k.FlagFailed, k.FlagSkipped)
	}
	if ns := applyNotStarted(r); len(ns) > 0 {
		note := ""
		if r.Interrupted {
			note = " (run fleet apply again to start them)"
		}
		fmt.Fprintf(out, "Calls not started: %s%s.\n", applyCallList(ns, applyCallListMax), note)
	}
	if r.Pending > 0 {
		fmt.Fprintln(out, "Run fleet apply again: it resolves the pending calls with their recorded client tokens, never buying twice.")
	}
	if k.RenewPending > 0 {
		fmt.Fprintln(out, "Run fleet apply again: it reads the deadline of each renewal of unknown outcome before anything is sent, never renewing twice.")
	}
}

// applyNotStarted returns the calls of r that were not started: those skipped (after an
// interrupt, or a failed call of their group), and resumed calls an interrupt left pending
// before they were sent again.
func applyNotStarted(r *executor.Result) []*executor.Outcome {
	var out []*executor.Outcome
	for _, o := range r.Outcomes {
		if o.Status == executor.OutcomeSkipped || o.Resume && o.Status == state.StatusPending && errors.Is(o.Err, executor.ErrInterrupted) {
			out = append(out, o)
		}
	}
	return out
}

// applyCallListMax is the number of runs of calls the summary names before it counts the rest.
const applyCallListMax = 10

// applyCallList names calls compactly: by group, in the order the groups first come, and by
// runs of consecutive seqs, as in "web #3-#9, web #12, db #0". Past limit runs, the calls
// left are counted.
func applyCallList(calls []*executor.Outcome, limit int) string {
	var groups []string
	seqs := map[string][]int{}
	for _, o := range calls {
		if _, ok := seqs[o.Group]; !ok {
			groups = append(groups, o.Group)
		}
		seqs[o.Group] = append(seqs[o.Group], o.Seq)
	}
	var parts []string
	more := 0
	for _, g := range groups {
		s := slices.Compact(slices.Sorted(slices.Values(seqs[g])))
		for i := 0; i < len(s); {
			j := i
			for j+1 < len(s) && s[j+1] == s[j]+1 {
				j++
			}
			switch {
			case len(parts) >= limit:
				more += j - i + 1
			case i == j:
				parts = append(parts, fmt.Sprintf("%s #%d", g, s[i]))
			default:
				parts = append(parts, fmt.Sprintf("%s #%d-#%d", g, s[i], s[j]))
			}
			i = j + 1
		}
	}
	switch {
	case more == 1:
		parts = append(parts, "and 1 more call")
	case more > 1:
		parts = append(parts, fmt.Sprintf("and %d more calls", more))
	}
	return strings.Join(parts, ", ")
}

// applyWantColor reports whether what goes to out is coloured: only on a terminal.
func applyWantColor(out io.Writer) bool { return wantColor(applyRaw(out)) }

func applyRetries(n int) string {
	if n == 1 {
		return "1 retry"
	}
	return fmt.Sprintf("%d retries", n)
}
