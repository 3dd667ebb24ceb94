package executor

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"fleet/internal/cvm"
	"fleet/internal/cvmsim"
	"fleet/internal/state"
	"fleet/planner"
	"fleet/spec"
)

// describeFake is a cloud that knows some instances and records every DescribeInstances
// attempt. fail, when set, decides the error of each attempt (numbered from 1).
type describeFake struct {
	mu    sync.Mutex
	known map[string]int // id -> status
	extra []cvm.Instance // returned with every answer, asked about or not
	asked [][]string     // the ids of every attempt
	fail  func(attempt int) error
}

func (f *describeFake) RunInstances(context.Context, map[string]string) (cvm.RunResult, error) {
	return cvm.RunResult{}, errors.New("describeFake buys nothing")
}

func (f *describeFake) DescribeInstances(_ context.Context, filter cvm.DescribeFilter) ([]cvm.Instance, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.asked = append(f.asked, slices.Clone(filter.InstanceIDs))
	if f.fail != nil {
		if err := f.fail(len(f.asked)); err != nil {
			return nil, err
		}
	}
	var out []cvm.Instance
	for _, id := range filter.InstanceIDs {
		if st, ok := f.known[id]; ok {
			out = append(out, cvm.Instance{ID: id, Status: st})
		}
	}
	return append(out, f.extra...), nil
}

func (f *describeFake) InquiryInstancePrice(context.Context, map[string]string) (int64, error) {
	return 0, errors.New("describeFake knows no prices")
}

// refreshState returns a state with the instances of each group, by id, and their statuses.
func refreshState(groups map[string]map[string]int) *state.State {
	st := state.New("prod", "ap-guangzhou")
	for name, ins := range groups {
		b := &state.Batch{Seq: 0, Kind: state.KindRun, Status: state.StatusDone, ClientToken: token(name, 0)}
		for id := range ins {
			b.InstanceIDs = append(b.InstanceIDs, id)
		}
		slices.Sort(b.InstanceIDs)
		b.GoodsNum = len(b.InstanceIDs)
		st.Apply(state.JournalRecord{Group: name, Batch: b})
		for id, status := range ins {
			st.Groups[name].Instance(id).Status = status
		}
	}
	return st
}

func TestRefreshRecordsChanges(t *testing.T) {
	st := refreshState(map[string]map[string]int{
		"api": {"ins-a1": 2, "ins-a2": 3, "ins-a3": 3, "ins-a4": -1},
		"web": {"ins-w1": 2, "ins-w2": 2, "ins-w3": 0},
	})
	fake := &describeFake{known: map[string]int{
		"ins-a1": 2,  // unchanged
		"ins-a2": 2,  // created
		"ins-a3": -1, // creation failed
		"ins-a4": -1, // never asked: failed is final
		"ins-w1": 5,  // returned through a ticket
		"ins-w3": 2,  // first read
		// ins-w2 is unknown to the API
	}}
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	res, err := Refresh(context.Background(), fake, st, now)
	if err != nil {
		t.Fatal(err)
	}
	want := &RefreshResult{
		Checked:  6,
		Requests: 1,
		Changes: []StatusChange{
			{Group: "api", ID: "ins-a2", Old: 3, New: 2},
			{Group: "api", ID: "ins-a3", Old: 3, New: -1},
			{Group: "web", ID: "ins-w1", Old: 2, New: 5},
			{Group: "web", ID: "ins-w3", Old: 0, New: 2},
		},
		Missing: []MissingInstance{{Group: "web", ID: "ins-w2", Status: 2}},
		Read:    5,
	}
	if diff := cmp.Diff(want, res); diff != "" {
		t.Errorf("result (-want +got):\n%s", diff)
	}
	if !res.Changed() {
		t.Errorf("Changed() = false, want true")
	}
	if got := fake.asked[0]; slices.Contains(got, "ins-a4") {
		t.Errorf("asked about %v, want the failed instance ins-a4 left out", got)
	}
	gone := map[string]bool{}
	for _, c := range res.Changes {
		gone[c.ID] = c.Gone()
	}
	if diff := cmp.Diff(map[string]bool{"ins-a2": false, "ins-a3": true, "ins-w1": true, "ins-w3": false}, gone); diff != "" {
		t.Errorf("Gone() (-want +got):\n%s", diff)
	}

	// The state holds the new statuses; StatusAt is set on every instance read (not on the
	// missing one, nor on the failed one, which is not asked about).
	for _, tc := range []struct {
		group, id string
		status    int
		at        bool
	}{
		{"api", "ins-a1", 2, true},
		{"api", "ins-a2", 2, true},
		{"api", "ins-a3", -1, true},
		{"api", "ins-a4", -1, false},
		{"web", "ins-w1", 5, true},
		{"web", "ins-w2", 2, false},
		{"web", "ins-w3", 2, true},
	} {
		in := st.Groups[tc.group].Instance(tc.id)
		if in.Status != tc.status {
			t.Errorf("%s status %d, want %d", tc.id, in.Status, tc.status)
		}
		switch {
		case tc.at && (in.StatusAt == nil || !in.StatusAt.Equal(now)):
			t.Errorf("%s status_at %v, want %v", tc.id, in.StatusAt, now)
		case !tc.at && in.StatusAt != nil:
			t.Errorf("%s status_at %v, want none (not read)", tc.id, in.StatusAt)
		}
	}
	// A returned or failed instance no longer counts; a missing one still does.
	if got := st.Groups["api"].Current(); got != 2 {
		t.Errorf("api current %d, want 2", got)
	}
	if got := st.Groups["web"].Current(); got != 2 {
		t.Errorf("web current %d, want 2", got)
	}

	// A second refresh finds nothing new.
	res, err = Refresh(context.Background(), fake, st, now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if res.Changed() || len(res.Changes) != 0 {
		t.Errorf("second refresh changes %v, want none", res.Changes)
	}
}

func TestRefreshAsksAHundredIDsACall(t *testing.T) {
	groups := map[string]map[string]int{"api": {}, "web": {}}
	known := map[string]int{}
	for i := range 250 {
		g := "api"
		if i%3 == 0 {
			g = "web"
		}
		id := fmt.Sprintf("ins-%08d", i)
		groups[g][id] = 3
		known[id] = 2
	}
	st := refreshState(groups)
	fake := &describeFake{known: known}
	res, err := Refresh(context.Background(), fake, st, time.Unix(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	if res.Requests != 3 || len(fake.asked) != 3 {
		t.Fatalf("%d requests (%d seen), want 3", res.Requests, len(fake.asked))
	}
	seen := map[string]int{}
	for i, ids := range fake.asked {
		if len(ids) > DescribeBatch {
			t.Errorf("request %d asked %d ids, want at most %d", i, len(ids), DescribeBatch)
		}
		for _, id := range ids {
			seen[id]++
		}
	}
	if len(seen) != 250 {
		t.Errorf("asked about %d distinct ids, want 250", len(seen))
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("%s asked %d times, want once", id, n)
		}
	}
	if len(res.Changes) != 250 || res.Checked != 250 {
		t.Errorf("%d changes of %d checked, want 250 of 250", len(res.Changes), res.Checked)
	}
}

func TestRefreshErrorLeavesStateAsItWas(t *testing.T) {
	groups := map[string]map[string]int{"api": {}}
	known := map[string]int{}
	for i := range 150 {
		id := fmt.Sprintf("ins-%08d", i)
		groups["api"][id] = 3
		known[id] = 5
	}
	st := refreshState(groups)
	before := refreshState(groups)
	before.Lineage = st.Lineage
	refused := &cvm.Error{Action: "DescribeInstances", Code: 4100, Name: "AuthFailure", Message: "bad signature", Class: cvm.ClassAuth}
	fake := &describeFake{known: known, fail: func(attempt int) error {
		if attempt == 2 {
			return refused
		}
		return nil
	}}
	_, err := Refresh(context.Background(), over(WithRetry(wire(fake), RetryPolicy{Sleep: func(context.Context, time.Duration) error { return nil }})), st, time.Unix(0, 0))
	if !errors.Is(err, refused) {
		t.Fatalf("error %v, want the API's refusal", err)
	}
	if len(fake.asked) != 2 {
		t.Errorf("%d attempts, want 2 (an auth error is not retried)", len(fake.asked))
	}
	if diff := cmp.Diff(before, st); diff != "" {
		t.Errorf("state changed by a failed refresh (-want +got):\n%s", diff)
	}
}

func TestRefreshRetriesThroughTheDecorator(t *testing.T) {
	st := refreshState(map[string]map[string]int{"web": {"ins-w1": 2}})
	busy := &cvm.Error{Action: "DescribeInstances", Code: 6000, Name: "OperationFail.SystemBusy", Message: "busy", Class: cvm.ClassRetryable}
	fake := &describeFake{known: map[string]int{"ins-w1": 6}, fail: func(attempt int) error {
		if attempt < 3 {
			return busy
		}
		return nil
	}}
	c := over(WithRetry(wire(fake), RetryPolicy{Sleep: func(context.Context, time.Duration) error { return nil }}))
	res, err := Refresh(context.Background(), c, st, time.Unix(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	if len(fake.asked) != 3 || res.Requests != 1 {
		t.Errorf("%d attempts for %d requests, want 3 for 1", len(fake.asked), res.Requests)
	}
	if diff := cmp.Diff([]StatusChange{{Group: "web", ID: "ins-w1", Old: 2, New: 6}}, res.Changes); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}
}

func TestRefreshIgnoresInstancesNotAskedAbout(t *testing.T) {
	st := refreshState(map[string]map[string]int{"web": {"ins-w1": 2}})
	fake := &describeFake{
		known: map[string]int{},
		extra: []cvm.Instance{{ID: "ins-other", Status: 5}},
	}
	res, err := Refresh(context.Background(), fake, st, time.Unix(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Changes) != 0 {
		t.Errorf("changes %v, want none", res.Changes)
	}
	if diff := cmp.Diff([]MissingInstance{{Group: "web", ID: "ins-w1", Status: 2}}, res.Missing); diff != "" {
		t.Errorf("missing (-want +got):\n%s", diff)
	}
	if st.Groups["web"].Instance("ins-other") != nil || st.InstanceCount() != 1 {
		t.Errorf("the state gained an instance it was not asked about")
	}
}

func TestRefreshEmptyStateMakesNoCall(t *testing.T) {
	fake := &describeFake{}
	res, err := Refresh(context.Background(), fake, state.New("prod", "ap-guangzhou"), time.Unix(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	if res.Requests != 0 || len(fake.asked) != 0 || res.Changed() {
		t.Errorf("%d requests, changed %v; want none", len(fake.asked), res.Changed())
	}
}

func TestRefreshCancelled(t *testing.T) {
	st := refreshState(map[string]map[string]int{"web": {"ins-w1": 2}})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	fake := &describeFake{known: map[string]int{"ins-w1": 5}}
	if _, err := Refresh(ctx, fake, st, time.Unix(0, 0)); !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
	if len(fake.asked) != 0 || st.Groups["web"].Instance("ins-w1").Status != 2 {
		t.Errorf("a cancelled refresh asked %d times or changed the state", len(fake.asked))
	}
}

func TestDescribeByID(t *testing.T) {
	fake := &describeFake{known: map[string]int{"ins-a": 2, "ins-b": 3}}
	got, err := DescribeByID(context.Background(), fake, []string{"ins-a", "", "ins-a", "ins-b", "ins-c"})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([][]string{{"ins-a", "ins-b", "ins-c"}}, fake.asked); diff != "" {
		t.Errorf("asked (-want +got):\n%s", diff)
	}
	want := map[string]cvm.Instance{"ins-a": {ID: "ins-a", Status: 2}, "ins-b": {ID: "ins-b", Status: 3}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("found (-want +got):\n%s", diff)
	}
}

func TestStatusName(t *testing.T) {
	for status, want := range map[int]string{-1: "failed", 0: "unknown", 2: "running", 3: "creating", 5: "returned", 6: "returning", 21: "maintenance", 99: "maintenance", -7: "status -7"} {
		if got := StatusName(status); got != want {
			t.Errorf("StatusName(%d) = %q, want %q", status, got, want)
		}
	}
}

const refreshSpec = `
fleet "prod" {
  region = "ap-guangzhou"
}

group "web" {
  count         = 250
  instance_type = "CVM.S2"
  cpu           = 1
  mem           = 2
  period        = 1
  image_id      = "img-31tjrtph"
  zone_id       = 100003
  key_id        = "skey-3glfot13"
}
`

// TestRefreshAgainstSimulator refreshes 250 instances bought from the simulator through the
// real client: three DescribeInstances requests, and the returned and failed ones stop
// counting.
func TestRefreshAgainstSimulator(t *testing.T) {
	f, diags := spec.Load([]spec.File{{Name: "main.fleet.hcl", Src: []byte(refreshSpec)}}, spec.Inputs{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	sim, c := simClient(t, cvmsim.Config{Seed: 1})
	st := state.New("prod", "ap-guangzhou")
	res, err := Apply(context.Background(), planner.Compute(f, st), Options{Client: c, State: st, Journal: &fakeJournal{}})
	if err != nil || res.Bought != 250 {
		t.Fatalf("apply: bought %v, %v; want 250", res, err)
	}
	ins := st.Groups["web"].Instances
	if err := sim.SetStatus(ins[7].ID, state.InstanceReturned); err != nil {
		t.Fatal(err)
	}
	if err := sim.SetStatus(ins[201].ID, state.InstanceFailed); err != nil {
		t.Fatal(err)
	}
	before := sim.RequestCount("DescribeInstances")
	r, err := Refresh(context.Background(), over(WithRetry(WithRateLimit(c, 0), RetryPolicy{})), st, time.Unix(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	if n := sim.RequestCount("DescribeInstances") - before; n != 3 || r.Requests != 3 {
		t.Errorf("%d DescribeInstances requests (%d counted), want 3", n, r.Requests)
	}
	if len(r.Changes) != 250 || len(r.Missing) != 0 {
		t.Errorf("%d changes and %d missing, want 250 and 0", len(r.Changes), len(r.Missing))
	}
	if got := st.Groups["web"].Current(); got != 248 {
		t.Errorf("current %d, want 248", got)
	}
	if planner.Compute(f, st).Summary.Purchase != 2 {
		t.Errorf("the next plan does not buy the 2 replacements")
	}
}

func TestStatusChangeGoneAndBack(t *testing.T) {
	for _, tc := range []struct {
		old, new   int
		gone, back bool
	}{
		{0, 2, false, false},
		{2, 5, true, false},
		{3, -1, true, false},
		{6, 5, false, false},
		{5, 2, false, true},
		{2, 4, false, false},
	} {
		c := StatusChange{Old: tc.old, New: tc.new}
		if c.Gone() != tc.gone || c.Back() != tc.back {
			t.Errorf("%d -> %d: Gone %v, Back %v; want %v, %v", tc.old, tc.new, c.Gone(), c.Back(), tc.gone, tc.back)
		}
	}
}

// BenchmarkRefresh refreshes a state of 10,000 instances in 20 groups against an in-memory
// cloud where every status changed.
func BenchmarkRefresh(b *testing.B) {
	groups := map[string]map[string]int{}
	known := map[string]int{}
	for i := range 10000 {
		g := fmt.Sprintf("g%02d", i%20)
		if groups[g] == nil {
			groups[g] = map[string]int{}
		}
		id := fmt.Sprintf("ins-%08d", i)
		groups[g][id] = 3
		known[id] = 2
	}
	fake := &describeFake{known: known}
	for b.Loop() {
		b.StopTimer()
		st := refreshState(groups)
		fake.asked = nil
		b.StartTimer()
		res, err := Refresh(context.Background(), fake, st, time.Unix(0, 0))
		if err != nil || len(res.Changes) != 10000 || res.Requests != 100 {
			b.Fatalf("refresh: %v, %d changes in %d requests", err, len(res.Changes), res.Requests)
		}
	}
}
