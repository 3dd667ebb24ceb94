package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"fleet/executor"
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
	if v, ok := r(spec.HashSecret("Passw0rd12")); !ok || v != "Passw0rd12" {
		t.Errorf("got %q, %v; want the password", v, ok)
	}
	if _, ok := r(spec.HashSecret("other")); ok {
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
