package executor

import (
	"context"
	"errors"
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
	lost := 0
	for round := 0; round < 5; round++ {
		p := f.plan()
		if len(p.Groups[0].Renewals) == 0 {
			break
		}
		lost += f.apply(t, p).Keep.Found
	}
	if lost == 0 {
		t.Error("no renewal was found made by an earlier apply: no answer was lost, and the test tested nothing")
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

// TestKeepResolvesRenewalsOfEarlierApplies starts from a state that applies left with
// renewals of unknown outcome: one was made, one never reached the API long ago, one never
// reached it a moment ago. The next apply reads the deadlines first: the first is recorded
// as renewed and not sent again; the second is renewed now; the third, whose deadline has
// not moved but may yet, stays renewing and is not sent (the apply's outcome is unknown).
func TestKeepResolvesRenewalsOfEarlierApplies(t *testing.T) {
	f := newKeepFixture(t, 3)
	made, lost, recent := f.ids[0], f.ids[1], f.ids[2]
	if _, err := f.api.RenewInstance(context.Background(), made, 1); err != nil {
		t.Fatal(err)
	}
	var renewals []*planner.Renewal
	for _, id := range f.ids {
		in := f.st.Groups["web"].Instance(id)
		at := time.Now().Add(-RenewSettle - time.Minute)
		if id == recent {
			at = time.Now()
		}
		in.Renewing = &state.Renewing{From: *in.Deadline, Period: 1, At: at}
		renewals = append(renewals, &planner.Renewal{InstanceID: id, Deadline: *in.Deadline, Period: 1, Resume: true})
	}
	p := &planner.Plan{Fleet: "keep", Region: "ap-guangzhou", Groups: []*planner.GroupPlan{{Name: "web", Action: planner.ActionRenew, Renewals: renewals}}}
	res := f.apply(t, p)
	if res.Keep.Found != 1 || res.Keep.Renewed != 1 || res.Keep.RenewPending != 1 || !res.Unknown() {
		t.Errorf("keep = %+v, want 1 found, 1 renewed, 1 pending", res.Keep)
	}
	for id, want := range map[string]int{made: 1, lost: 1, recent: 0} {
		if n := f.sim.RenewalCount(id); n != want {
			t.Errorf("%s renewed %d times, want %d", id, n, want)
		}
		renewing := f.st.Groups["web"].Instance(id).Renewing != nil
		if renewing != (id == recent) {
			t.Errorf("%s renewing %v", id, renewing)
		}
	}
}

// TestKeepFlagKeepsRenewalInFlight renews an instance whose answer is lost and whose deadline
// cannot be read, and sets its flag in the same apply: the flag's record must not end the
// renewal in flight, or the next plan would renew it again.
func TestKeepFlagKeepsRenewalInFlight(t *testing.T) {
	f := newKeepFixture(t, 1)
	id := f.ids[0]
	in := f.st.Groups["web"].Instance(id)
	lossy := lostRenewals{Client: f.api}
	p := &planner.Plan{Fleet: "keep", Region: "ap-guangzhou", Groups: []*planner.GroupPlan{{Name: "web", Action: planner.ActionRenew,
		Renewals: []*planner.Renewal{{InstanceID: id, Deadline: *in.Deadline, Period: 1}},
		Flags:    []*planner.FlagChange{{Flag: state.AutoRenewNotify, InstanceIDs: []string{id}}}}}}
	res, err := Apply(context.Background(), p, Options{Client: f.api, Renewer: lossy, State: f.st, Journal: &fakeJournal{}, Parallelism: 4})
	if err != nil {
		t.Fatal(err)
	}
	if res.Keep.RenewPending != 1 || res.Keep.Flagged != 1 {
		t.Errorf("keep = %+v, want the renewal pending and the flag set", res.Keep)
	}
	if in.Renewing == nil {
		t.Error("the flag's record ended the renewal in flight")
	}
}

// lostRenewals renews, then loses every answer.
type lostRenewals struct{ Client }

func (l lostRenewals) RenewInstance(ctx context.Context, id string, period int) (string, error) {
	if _, err := l.Client.RenewInstance(ctx, id, period); err != nil {
		return "", err
	}
	return "", &cvm.Error{Action: "RenewInstance", Class: cvm.ClassRetryable, Err: errors.New("connection reset after the request was sent")}
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

// TestKeepRenewalFromTheCloudsDeadline renews an instance whose recorded deadline is a month
// later than the cloud's, and loses the answer: the renewal in flight is anchored on the
// deadline the cloud had, so that the next apply sees it made (and renews nothing).
func TestKeepRenewalFromTheCloudsDeadline(t *testing.T) {
	f := newKeepFixture(t, 1)
	id := f.ids[0]
	in := f.st.Groups["web"].Instance(id)
	cloud := *in.Deadline
	ahead := planner.AddMonths(cloud, 1)
	in.Deadline = &ahead
	p := &planner.Plan{Fleet: "keep", Region: "ap-guangzhou", Groups: []*planner.GroupPlan{{Name: "web", Action: planner.ActionRenew,
		Renewals: []*planner.Renewal{{InstanceID: id, Deadline: ahead, Period: 1}}}}}
	res, err := Apply(context.Background(), p, Options{Client: f.api, Renewer: lostRenewals{Client: f.api}, State: f.st, Journal: &fakeJournal{}, Parallelism: 4})
	if err != nil {
		t.Fatal(err)
	}
	if res.Keep.RenewPending != 1 || in.Renewing == nil || !in.Renewing.From.Equal(cloud) {
		t.Fatalf("keep %+v, renewing %+v; want pending, from the cloud's deadline %v", res.Keep, in.Renewing, cloud)
	}
	in.Renewing.At = in.Renewing.At.Add(-RenewSettle)
	res = f.apply(t, &planner.Plan{Fleet: "keep", Region: "ap-guangzhou", Groups: []*planner.GroupPlan{{Name: "web", Action: planner.ActionNone}}})
	if res.Keep.Found != 1 || in.Renewing != nil || f.sim.RenewalCount(id) != 1 {
		t.Errorf("keep %+v, renewing %+v, renewed %d times; want found once", res.Keep, in.Renewing, f.sim.RenewalCount(id))
	}
	if sim, _ := f.sim.Instance(id); !in.Deadline.Equal(sim.Deadline.UTC().Truncate(time.Second)) {
		t.Errorf("recorded deadline %v, the cloud's %v", in.Deadline, sim.Deadline)
	}
}

// TestKeepEndsRenewalOfGoneInstance ends the renewal in flight of an instance the state
// records as returned: nothing is left to renew, and the apply's outcome is known.
func TestKeepEndsRenewalOfGoneInstance(t *testing.T) {
	f := newKeepFixture(t, 1)
	in := f.st.Groups["web"].Instance(f.ids[0])
	in.Status = state.InstanceReturned
	in.Renewing = &state.Renewing{From: *in.Deadline, Period: 1, At: time.Now()}
	res := f.apply(t, &planner.Plan{Fleet: "keep", Region: "ap-guangzhou", Groups: []*planner.GroupPlan{{Name: "web", Action: planner.ActionNone}}})
	if res.Unknown() || in.Renewing != nil {
		t.Errorf("keep %+v, renewing %+v; want the renewal ended", res.Keep, in.Renewing)
	}
}
