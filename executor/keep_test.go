package executor

import (
	"context"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"fleet/internal/cvm"
	"fleet/internal/cvmsim"
	"fleet/internal/state"
	"fleet/planner"
)

// keepFixture is a simulator with n instances of group web bought for one month, the client
// that talks to it through the retry decorator, and a state that records the instances with
// their deadlines.
type keepFixture struct {
	sim *cvmsim.Server
	api cvm.API
	st  *state.State
	ids []string
	// bought are the deadlines the instances were bought with.
	bought map[string]time.Time
}

func newKeepFixture(t *testing.T, n int) *keepFixture {
	t.Helper()
	sim, err := cvmsim.New(cvmsim.Config{Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	c, err := cvm.New(cvm.Config{Endpoint: srv.URL + cvmsim.Path, SecretID: cvmsim.DemoSecretID, SecretKey: cvmsim.DemoSecretKey, Region: "ap-guangzhou"})
	if err != nil {
		t.Fatal(err)
	}
	f := &keepFixture{sim: sim, api: over(WithRetry(Detach(c), noSleep(8)))}
	p := benchPlan(1).Calls()[0].Params
	p["goodsNum"] = "20"
	p["period"] = "1"
	p["clientToken"] = planner.Token("keep", "ap-guangzhou", 0, "web", 0, p)
	res, err := f.api.RunInstances(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	f.ids = slices.Sorted(slices.Values(res.AllInstanceIDs()))[:n]
	sg := &state.Group{}
	f.bought = map[string]time.Time{}
	for _, id := range f.ids {
		in, _ := sim.Instance(id)
		d := in.Deadline.UTC().Truncate(time.Second)
		f.bought[id] = d
		sg.Instances = append(sg.Instances, &state.Instance{ID: id, Status: state.InstanceRunning, Deadline: &d})
	}
	f.st = &state.State{Groups: map[string]*state.Group{"web": sg}}
	return f
}

// plan renews by one month every instance whose recorded deadline is still the one it was
// bought with: what a plan of renew = "fleet" holds.
func (f *keepFixture) plan() *planner.Plan {
	g := &planner.GroupPlan{Name: "web", Action: planner.ActionRenew}
	for _, in := range f.st.Groups["web"].Instances {
		if !in.Deadline.After(f.bought[in.ID]) {
			g.Renewals = append(g.Renewals, &planner.Renewal{InstanceID: in.ID, Deadline: *in.Deadline, Period: 1, Resume: in.Renewing != nil})
		}
	}
	return &planner.Plan{Fleet: "keep", Region: "ap-guangzhou", Groups: []*planner.GroupPlan{g}}
}

func (f *keepFixture) apply(t *testing.T, p *planner.Plan) *Result {
	t.Helper()
	res, err := Apply(context.Background(), p, Options{Client: f.api, Renewer: f.api, State: f.st, Journal: &fakeJournal{}, Parallelism: 4})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestKeepRenewsOnceWithLostAnswers loses 30% of RenewInstance answers after the renewal was
// made: each instance is renewed exactly once, and the state records the deadline the cloud
// has.
func TestKeepRenewsOnceWithLostAnswers(t *testing.T) {
	f := newKeepFixture(t, 20)
	if err := f.sim.SetDropActions("RenewInstance"); err != nil {
		t.Fatal(err)
	}
	if err := f.sim.SetFaults(0, 0.3); err != nil {
		t.Fatal(err)
	}
	for round := 0; round < 5; round++ {
		p := f.plan()
		if len(p.Groups[0].Renewals) == 0 {
			break
		}
		f.apply(t, p)
	}
	if f.sim.RequestCount("DescribeInstances") == 0 {
		t.Error("no deadline was read: no answer was lost, and the test tested nothing")
	}
	for _, id := range f.ids {
		if n := f.sim.RenewalCount(id); n != 1 {
			t.Errorf("%s renewed %d times, want once", id, n)
		}
		in := f.st.Groups["web"].Instance(id)
		sim, _ := f.sim.Instance(id)
		if in.Renewing != nil || !in.Deadline.Equal(sim.Deadline.UTC().Truncate(time.Second)) {
			t.Errorf("%s: state deadline %v (renewing %+v), cloud %v", id, in.Deadline, in.Renewing, sim.Deadline)
		}
	}
}

// TestKeepResolvesRenewalsOfEarlierApplies starts from a state that an apply left with two
// renewals of unknown outcome: one was made, one never reached the API. The next apply
// reads both deadlines first: the first is recorded as renewed and not sent again, the
// second is renewed now.
func TestKeepResolvesRenewalsOfEarlierApplies(t *testing.T) {
	f := newKeepFixture(t, 2)
	made, lost := f.ids[0], f.ids[1]
	if _, err := f.api.RenewInstance(context.Background(), made, 1); err != nil {
		t.Fatal(err)
	}
	for _, id := range f.ids {
		in := f.st.Groups["web"].Instance(id)
		in.Renewing = &state.Renewing{From: *in.Deadline, Period: 1, At: time.Now()}
	}
	p := &planner.Plan{Fleet: "keep", Region: "ap-guangzhou", Groups: []*planner.GroupPlan{{Name: "web", Action: planner.ActionRenew,
		Renewals: []*planner.Renewal{
			{InstanceID: made, Deadline: *f.st.Groups["web"].Instance(made).Deadline, Period: 1, Resume: true},
			{InstanceID: lost, Deadline: *f.st.Groups["web"].Instance(lost).Deadline, Period: 1, Resume: true},
		}}}}
	res := f.apply(t, p)
	if res.Keep.Found != 1 || res.Keep.Renewed != 1 || res.Unknown() {
		t.Errorf("keep = %+v, want 1 found and 1 renewed", res.Keep)
	}
	for _, id := range f.ids {
		if n := f.sim.RenewalCount(id); n != 1 {
			t.Errorf("%s renewed %d times, want once", id, n)
		}
		if in := f.st.Groups["web"].Instance(id); in.Renewing != nil {
			t.Errorf("%s still renewing", id)
		}
	}
}

// TestKeepFlags sets flags in calls of at most 100 with one result per instance: an
// instance the cloud does not know fails alone.
func TestKeepFlags(t *testing.T) {
	f := newKeepFixture(t, 3)
	f.st.Groups["web"].Instances = append(f.st.Groups["web"].Instances, &state.Instance{ID: "ins-zzzzzzzz"}) // sorts last
	p := &planner.Plan{Fleet: "keep", Region: "ap-guangzhou", Groups: []*planner.GroupPlan{{Name: "web", Action: planner.ActionFlag,
		Flags: []*planner.FlagChange{{Flag: state.AutoRenewNever, InstanceIDs: append(append([]string{}, f.ids...), "ins-zzzzzzzz")}}}}}
	res := f.apply(t, p)
	if res.Keep.Flagged != 3 || res.Keep.FlagFailed != 1 {
		t.Errorf("keep = %+v, want 3 flagged and 1 failed", res.Keep)
	}
	for _, id := range f.ids {
		if in, _ := f.sim.Instance(id); in.AutoRenew != state.AutoRenewNever {
			t.Errorf("%s: cloud flag %d, want never", id, in.AutoRenew)
		}
		if in := f.st.Groups["web"].Instance(id); in.AutoRenew == nil || *in.AutoRenew != state.AutoRenewNever {
			t.Errorf("%s: state flag %v, want never", id, in.AutoRenew)
		}
	}
}
