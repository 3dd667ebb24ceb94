package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"fleet/executor"
	"fleet/internal/secret"
	"fleet/internal/workflow"
	"fleet/planner"
	"fleet/spec"
)

func viewTestPlan() *planner.Plan {
	return &planner.Plan{
		Fleet: "prod", Region: "ap-guangzhou",
		Groups: []*planner.GroupPlan{{
			Name: "web", Action: planner.ActionPurchase, Desired: 3, Purchase: 3,
			Calls: []*planner.Call{{Group: "web", Seq: 0, ClientToken: "web-0-x", GoodsNum: 3, Params: map[string]string{"goodsNum": "3"}}},
		}},
		Summary: planner.Summary{Purchase: 5, Calls: 3, InstanceMonths: 5},
	}
}

var viewTestEvents = []executor.Event{
	{Type: executor.EventCallStarted, Group: "web", Seq: 0, GoodsNum: 3},
	{Type: executor.EventCallRetried, Group: "web", Seq: 0, GoodsNum: 3, Attempt: 1, Error: "busy"},
	{Type: executor.EventCallDone, Group: "web", Seq: 0, GoodsNum: 3, Attempt: 2, InstanceIDs: []string{"ins-1", "ins-2"}},
	{Type: executor.EventCallFailed, Group: "db", Seq: 4, GoodsNum: 1, Error: "RunInstances: LimitExceeded (code 4400): quota"},
	{Type: executor.EventCallPending, Group: "db", Seq: 5, GoodsNum: 1, Resume: true, Error: "RunInstances: i/o timeout"},
}

var viewTestResult = &executor.Result{Calls: 3, Done: 1, Failed: 1, Pending: 1, Bought: 2, Retries: 1, Elapsed: 1500 * time.Millisecond}

func TestLineApplyView(t *testing.T) {
	var buf bytes.Buffer
	v := newApplyView(&applyFlags{}, &buf, nil)
	if err := v.Plan(viewTestPlan()); err != nil {
		t.Fatal(err)
	}
	for _, e := range viewTestEvents {
		v.Event(e)
	}
	v.Saved("fleet.state.json", 7)
	v.Summary(viewTestResult)
	got := buf.String()
	for _, want := range []string{
		"done     web #0: 2 of 3 instances (ins-1, ins-2) in 2 attempts\n",
		"failed   db #4: RunInstances: LimitExceeded (code 4400): quota\n",
		"unknown  db #5 (resumed): RunInstances: i/o timeout (outcome unknown; run fleet apply again to resolve it)\n",
		"State saved to fleet.state.json (serial 7).\n",
		"Apply stopped with purchases of unknown outcome: bought 2 instances in 3 calls; 1 retry, 1 failed, 1 unknown, 0 skipped; 1.5s.\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q; got:\n%s", want, got)
		}
	}
	if strings.Contains(got, "call_started") || strings.Contains(got, "busy") {
		t.Errorf("started and retried calls get no line of their own; got:\n%s", got)
	}
}

func TestJSONApplyView(t *testing.T) {
	var buf bytes.Buffer
	v := newApplyView(&applyFlags{json: true}, &buf, nil)
	if err := v.Plan(viewTestPlan()); err != nil {
		t.Fatal(err)
	}
	for _, e := range viewTestEvents {
		v.Event(e)
	}
	v.Saved("fleet.state.json", 7)
	v.Summary(viewTestResult)
	v.Waited(workflow.WaitCounts{Running: 1, Failed: 1})
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	var types []string
	for _, l := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("line %q is not a JSON object: %v", l, err)
		}
		types = append(types, m["type"].(string))
	}
	if last := lines[len(lines)-1]; last != `{"type":"waited","running":1,"failed":1,"creating":0}` {
		t.Errorf("got %s, want the counts of --wait", last)
	}
	want := "plan call_started call_retried call_done call_failed call_pending state_saved summary waited"
	if got := strings.Join(types, " "); got != want {
		t.Fatalf("got events %s, want %s", got, want)
	}
}

func TestBarApplyView(t *testing.T) {
	var buf bytes.Buffer
	v := newBarApplyView(&buf, nil)
	if err := v.Plan(viewTestPlan()); err != nil {
		t.Fatal(err)
	}
	for _, e := range viewTestEvents {
		v.Event(e)
	}
	v.Saved("fleet.state.json", 7)
	v.Summary(viewTestResult)
	got := buf.String()
	for _, want := range []string{"calls 3/3 · 1 retry", "failed   db #4", "State saved to fleet.state.json (serial 7).", "bought 2 instances"} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q; got:\n%q", want, got)
		}
	}
}

func TestApplySecretResolver(t *testing.T) {
	fl := &spec.Fleet{Groups: []*spec.Group{{Name: "a", Config: spec.Config{Password: "Passw0rd12"}}, {Name: "b"}}}
	r := workflow.SecretResolver(fl)
	if v, ok := r(secret.Hash("Passw0rd12")); !ok || v != "Passw0rd12" {
		t.Errorf("got %q, %v; want the password", v, ok)
	}
	if _, ok := r(secret.Hash("other")); ok {
		t.Error("resolved a hash of a value the spec does not hold")
	}
}

func TestApplyConfirm(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want bool
	}{{"yes\n", true}, {"  yes  \n", true}, {"yes", true}, {"y\n", false}, {"no\n", false}, {"\n", false}} {
		var out bytes.Buffer
		got, err := applyConfirm(strings.NewReader(tt.in), &out)
		if err != nil {
			t.Fatalf("%q: %v", tt.in, err)
		}
		if got != tt.want {
			t.Errorf("answer %q: got %v, want %v", tt.in, got, tt.want)
		}
		if !strings.Contains(out.String(), "Only 'yes' will be accepted") {
			t.Errorf("prompt %q does not say what is accepted", out.String())
		}
	}
	if _, err := applyConfirm(strings.NewReader(""), &bytes.Buffer{}); err == nil {
		t.Error("an empty stdin gave an answer, want an error")
	}
}

// interruptedResult is an apply of web #0-#9 and db #0 interrupted after web #0-#2 and a
// resumed db call left pending: web #3-#9 and db #0 were not started.
func interruptedResult() *executor.Result {
	r := &executor.Result{Calls: 3, Done: 3, Bought: 30, Skipped: 8, Pending: 0, Interrupted: true, Elapsed: time.Second}
	for seq := range 3 {
		r.Outcomes = append(r.Outcomes, &executor.Outcome{Group: "web", Seq: seq, Status: "done", InstanceIDs: []string{"ins-1"}})
	}
	for seq := 3; seq < 10; seq++ {
		r.Outcomes = append(r.Outcomes, &executor.Outcome{Group: "web", Seq: seq, Status: executor.OutcomeSkipped, Err: executor.ErrInterrupted})
	}
	r.Outcomes = append(r.Outcomes, &executor.Outcome{Group: "db", Seq: 0, Status: executor.OutcomeSkipped, Err: executor.ErrInterrupted})
	return r
}

func TestApplySummaryNotStarted(t *testing.T) {
	var buf bytes.Buffer
	applySummary(&buf, interruptedResult())
	got := buf.String()
	for _, want := range []string{
		"Apply interrupted: bought 30 instances in 3 calls; 0 retries, 0 failed, 0 unknown, 8 skipped; 1s.\n",
		"Calls not started: web #3-#9, db #0 (run fleet apply again to start them).\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("summary lacks %q; got:\n%s", want, got)
		}
	}

	// A resumed call an interrupt left pending was not started either.
	r := interruptedResult()
	r.Pending++
	r.Outcomes = append(r.Outcomes, &executor.Outcome{Group: "api", Seq: 4, Resume: true, Status: "pending", Err: executor.ErrInterrupted})
	buf.Reset()
	applySummary(&buf, r)
	if want := "Calls not started: web #3-#9, db #0, api #4 (run fleet apply again to start them).\n"; !strings.Contains(buf.String(), want) {
		t.Errorf("summary lacks %q; got:\n%s", want, buf.String())
	}

	// A complete apply names none.
	buf.Reset()
	applySummary(&buf, viewTestResult)
	if strings.Contains(buf.String(), "not started") {
		t.Errorf("a summary without skipped calls names some:\n%s", buf.String())
	}
}

func TestApplyCallList(t *testing.T) {
	calls := func(group string, seqs ...int) []*executor.Outcome {
		var out []*executor.Outcome
		for _, s := range seqs {
			out = append(out, &executor.Outcome{Group: group, Seq: s})
		}
		return out
	}
	for _, tt := range []struct {
		calls []*executor.Outcome
		max   int
		want  string
	}{
		{calls("web", 3), 10, "web #3"},
		{calls("web", 5, 3, 4, 9, 11, 10), 10, "web #3-#5, web #9-#11"},
		{append(calls("web", 3, 4), calls("db", 0)...), 10, "web #3-#4, db #0"},
		{calls("web", 0, 2, 4, 6, 7, 8), 2, "web #0, web #2, and 4 more calls"},
		{append(calls("web", 0, 2), calls("db", 1)...), 2, "web #0, web #2, and 1 more call"},
	} {
		if got := applyCallList(tt.calls, tt.max); got != tt.want {
			t.Errorf("got %q, want %q", got, tt.want)
		}
	}
}

func TestJSONApplyViewInterrupted(t *testing.T) {
	var buf bytes.Buffer
	v := newApplyView(&applyFlags{json: true}, &buf, nil)
	v.Summary(interruptedResult())
	var got struct {
		Type        string `json:"type"`
		Skipped     int    `json:"skipped"`
		Interrupted bool   `json:"interrupted"`
		NotStarted  []struct {
			Group string `json:"group"`
			Seq   int    `json:"seq"`
		} `json:"not_started"`
	}
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatalf("%s: %v", buf.String(), err)
	}
	if got.Type != "summary" || !got.Interrupted || got.Skipped != 8 || len(got.NotStarted) != 8 {
		t.Fatalf("got %s, want an interrupted summary naming 8 calls", buf.String())
	}
	if n := got.NotStarted[0]; n.Group != "web" || n.Seq != 3 {
		t.Errorf("first call not started: got %s #%d, want web #3", n.Group, n.Seq)
	}
	if n := got.NotStarted[7]; n.Group != "db" || n.Seq != 0 {
		t.Errorf("last call not started: got %s #%d, want db #0", n.Group, n.Seq)
	}

	buf.Reset()
	v.Summary(viewTestResult)
	if !strings.Contains(buf.String(), `"interrupted":false}`) || strings.Contains(buf.String(), "not_started") {
		t.Errorf("a complete apply: got %s", buf.String())
	}
}

// TestBarApplyViewStopped checks that the bar of an apply that stops short shows what was
// bought, not a full bar.
func TestBarApplyViewStopped(t *testing.T) {
	var buf bytes.Buffer
	v := newBarApplyView(&buf, nil)
	p := viewTestPlan()
	p.Groups[0].Calls = append(p.Groups[0].Calls, &planner.Call{Group: "web", Seq: 1, ClientToken: "web-1-x", GoodsNum: 3})
	if err := v.Plan(p); err != nil {
		t.Fatal(err)
	}
	v.Event(executor.Event{Type: executor.EventCallStarted, Group: "web", Seq: 0, GoodsNum: 3})
	v.Event(executor.Event{Type: executor.EventCallDone, Group: "web", Seq: 0, GoodsNum: 3, InstanceIDs: []string{"ins-1", "ins-2", "ins-3"}})
	v.Event(executor.Event{Type: executor.EventCallSkipped, Group: "web", Seq: 1, GoodsNum: 3, Error: executor.ErrInterrupted.Error()})
	v.Saved("fleet.state.json", 7)
	got := buf.String()
	before, _, ok := strings.Cut(got, "State saved to fleet.state.json (serial 7).")
	if !ok {
		t.Fatalf("no state saved line; got:\n%q", got)
	}
	last := before[strings.LastIndex(before, "\r")+1:]
	if strings.Contains(last, "100%") || !strings.Contains(last, "50%") || !strings.Contains(last, "3/6") {
		t.Errorf("the bar's last drawing is %q, want it at 50%% (3/6)", last)
	}
	if !strings.HasSuffix(before, "\n") {
		t.Errorf("the bar's line is not ended before the next line; got:\n%q", got)
	}
}

// TestBarApplyViewComplete checks that a complete apply fills the bar.
func TestBarApplyViewComplete(t *testing.T) {
	var buf bytes.Buffer
	v := newBarApplyView(&buf, nil)
	if err := v.Plan(viewTestPlan()); err != nil {
		t.Fatal(err)
	}
	v.Event(executor.Event{Type: executor.EventCallDone, Group: "web", Seq: 0, GoodsNum: 3, InstanceIDs: []string{"ins-1", "ins-2", "ins-3"}})
	v.Saved("fleet.state.json", 7)
	if got := buf.String(); !strings.Contains(got, "100%") || !strings.Contains(got, "\nState saved") {
		t.Errorf("want a full bar on its own line; got:\n%q", got)
	}
}

func TestApplyExit(t *testing.T) {
	code := func(err error) int {
		if err == nil {
			return exitOK
		}
		var ec *exitCode
		if errors.As(err, &ec) {
			return ec.code
		}
		return exitError
	}
	unknown := interruptedResult()
	unknown.Pending = 1
	for _, tt := range []struct {
		name string
		res  *executor.Result
		err  error
		want int
	}{
		{"nothing to do", nil, nil, exitOK},
		{"complete", &executor.Result{Calls: 1, Done: 1}, nil, exitOK},
		{"failed", &executor.Result{Calls: 1, Failed: 1}, nil, exitError},
		{"interrupted", interruptedResult(), nil, exitError},
		{"interrupted with unknown outcomes", unknown, nil, exitUnknown},
		{"not applyable", nil, workflow.ErrNotApplyable, exitError},
		{"unknown outcome", &executor.Result{Calls: 1}, fmt.Errorf("write state: %w", workflow.ErrUnknownOutcome), exitUnknown},
	} {
		if got := code(applyExit(tt.res, tt.err)); got != tt.want {
			t.Errorf("%s: exit %d, want %d", tt.name, got, tt.want)
		}
	}
}

// failWriter fails every write after the first n bytes.
type failWriter struct {
	buf bytes.Buffer
	n   int
}

func (w *failWriter) Write(p []byte) (int, error) {
	if w.buf.Len()+len(p) > w.n {
		return 0, errors.New("write |1: broken pipe")
	}
	return w.buf.Write(p)
}

// TestApplyOutputBroken checks that an output that can no longer be written reports every
// write as done and drops what follows, so that no view stops the apply.
func TestApplyOutputBroken(t *testing.T) {
	fw := &failWriter{n: 10}
	out := newApplyOutput(fw)
	if newApplyOutput(out) != out {
		t.Error("an output wrapped twice")
	}
	for _, s := range []string{"12345", "67890abc", "d"} {
		if n, err := out.Write([]byte(s)); n != len(s) || err != nil {
			t.Errorf("write %q: got %d, %v; want %d, nil", s, n, err, len(s))
		}
	}
	if got := fw.buf.String(); got != "12345" {
		t.Errorf("written %q, want only what preceded the failure", got)
	}

	// A view writing to it never fails, the plan included.
	v := newApplyView(&applyFlags{}, newApplyOutput(&failWriter{n: 0}), nil)
	if err := v.Plan(viewTestPlan()); err != nil {
		t.Errorf("plan: %v", err)
	}
	v.Summary(interruptedResult())
}

// TestBarApplyViewSummaryUnsaved checks that the summary of an apply whose state could not be
// saved comes below the bar, not on its line.
func TestBarApplyViewSummaryUnsaved(t *testing.T) {
	var buf bytes.Buffer
	v := newBarApplyView(&buf, nil)
	if err := v.Plan(viewTestPlan()); err != nil {
		t.Fatal(err)
	}
	v.Event(executor.Event{Type: executor.EventCallDone, Group: "web", Seq: 0, GoodsNum: 3, InstanceIDs: []string{"ins-1"}})
	v.Summary(viewTestResult)
	if got := buf.String(); !strings.Contains(got, "(1/3)") || !strings.Contains(got, "\nApply stopped with purchases of unknown outcome") {
		t.Errorf("want the bar at 1/3, then the summary on a line of its own; got:\n%q", got)
	}
}

// TestApplyEventLineSingular checks that a call of one instance says "1 instance".
func TestApplyEventLineSingular(t *testing.T) {
	for _, c := range []struct {
		e    executor.Event
		want string
	}{
		{executor.Event{Type: executor.EventCallDone, Group: "api", Seq: 1, GoodsNum: 1, InstanceIDs: []string{"ins-1"}, Attempt: 1},
			"done     api #1: 1 of 1 instance (ins-1) in 1 attempt"},
		{executor.Event{Type: executor.EventCallAdopted, Group: "api", Seq: 0, GoodsNum: 1, InstanceIDs: []string{"ins-2"}, Marker: "fl-m"},
			"adopted  api #0: 1 of 1 instance (ins-2) found by their name marker fl-m; nothing was bought again"},
		{executor.Event{Type: executor.EventCallDone, Group: "web", Seq: 0, GoodsNum: 2, InstanceIDs: []string{"ins-3", "ins-4"}, Attempt: 2},
			"done     web #0: 2 of 2 instances (ins-3, ins-4) in 2 attempts"},
	} {
		if got := applyEventLine(c.e); got != c.want {
			t.Errorf("got %q, want %q", got, c.want)
		}
	}
}
