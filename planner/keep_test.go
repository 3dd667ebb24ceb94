package planner

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"fleet/internal/state"
	"fleet/spec"
)

// boughtPrivateIPs returns group db with the private IPs 10.0.0.10 and 10.0.0.11, a state in
// which both were bought, and the time its tests plan at.
func boughtPrivateIPs() (*spec.Group, *state.State, time.Time) {
	g := testGroup("db", 2)
	g.Config.VpcID, g.Config.SubnetID = "vpc-abc", "subnet-abc"
	g.Config.PrivateIPs = []string{"10.0.0.10", "10.0.0.11"}
	st := &state.State{Lineage: "l", Fleet: "prod", Region: "ap-guangzhou", Groups: map[string]*state.Group{}}
	for _, c := range Compute(testFleet(g), nil).Group("db").Calls {
		applyCall(st, c)
	}
	return g, st, time.Date(2027, 1, 10, 0, 0, 0, 0, time.UTC)
}

// TestLapsePrefersDroppedPrivateIPs lowers a private-IP group from two addresses to one: the
// instance holding the address the spec no longer lists lapses, although the other one
// expires first.
func TestLapsePrefersDroppedPrivateIPs(t *testing.T) {
	g, st, at := boughtPrivateIPs()
	for _, in := range st.Groups["db"].Instances {
		d := at.AddDate(0, 0, 50)
		if st.Groups["db"].Batches[in.Batch].Params[paramPrivateIP] == "10.0.0.10" {
			d = at.AddDate(0, 0, 10) // expires first: by deadline alone, it would lapse
		}
		in.Deadline, in.StatusAt = &d, &at
	}
	var keepIP string
	for _, b := range st.Groups["db"].Batches {
		if b.Params[paramPrivateIP] == "10.0.0.10" {
			keepIP = b.InstanceIDs[0]
		}
	}
	g.Count = 1
	g.Config.PrivateIPs = []string{"10.0.0.10"}
	p := ComputeWith(testFleet(g), st, Options{At: at})
	db := p.Group("db")
	if len(db.Lapse) != 1 || db.Lapse[0] == keepIP {
		t.Errorf("lapse %v, want the instance of 10.0.0.11 (not %s)", db.Lapse, keepIP)
	}
}

// TestKeepWindowEdges renews an instance whose deadline is exactly renew_within_days away
// and one that expired less than RenewableFor ago; not one a second outside the window, nor
// one expired RenewableFor ago; a plan without a time renews nothing.
func TestKeepWindowEdges(t *testing.T) {
	at := time.Date(2027, 1, 10, 0, 0, 0, 0, time.UTC)
	st := boughtState(map[string]int{"web": 4})
	deadlines := []time.Time{at.Add(14 * 24 * time.Hour), at.Add(14*24*time.Hour + time.Second), at.Add(-RenewableFor + time.Second), at.Add(-RenewableFor)}
	for i, in := range st.Groups["web"].Instances {
		d := deadlines[i]
		in.Deadline, in.StatusAt = &d, &at
	}
	g := testGroup("web", 4)
	g.Renewal = spec.Renewal{Mode: spec.RenewFleet, WithinDays: 14, Period: 2}
	p := ComputeWith(testFleet(g), st, Options{At: at})
	var got []string
	for _, r := range p.Group("web").Renewals {
		got = append(got, r.InstanceID)
	}
	if diff := cmp.Diff([]string{"ins-web0002", "ins-web0000"}, got); diff != "" {
		t.Errorf("renewed (-want +got):\n%s", diff)
	}
	if p.Summary.Renew != 2 || p.Summary.RenewMonths != 4 || p.Summary.Calendar.Expired != 2 {
		t.Errorf("summary %+v", p.Summary)
	}
	// The one expired beyond renewal is probably released: a warning says so.
	if diff := cmp.Diff([]string{CodeExpired}, codes(p.Diagnostics)); diff != "" {
		t.Errorf("codes (-want +got):\n%s", diff)
	} else if !strings.Contains(p.Diagnostics[0].Detail, "1 expired more than 7 days ago and is probably released") {
		t.Errorf("detail %q", p.Diagnostics[0].Detail)
	}
	if p := ComputeWith(testFleet(g), st, Options{}); len(p.Group("web").Renewals) != 0 {
		t.Error("a plan without a time renews")
	}
}

// TestLapsedInstanceHoldsItsIP lets one of two private-IP instances lapse, then raises count
// again after its deadline: it has left the group, but its address is still held until the
// cloud releases it, so nothing is bought and a warning says why.
func TestLapsedInstanceHoldsItsIP(t *testing.T) {
	g, st, at := boughtPrivateIPs()
	never := state.AutoRenewNever
	for i, in := range st.Groups["db"].Instances {
		d := at.AddDate(0, 0, 30)
		if i == 0 {
			d = at.AddDate(0, 0, -1) // lapsed yesterday
			in.AutoRenew = &never
		}
		in.Deadline, in.StatusAt = &d, &at
	}
	p := ComputeWith(testFleet(g), st, Options{At: at})
	db := p.Group("db")
	if db.Current != 1 || len(db.Calls) != 0 {
		t.Fatalf("db = %+v, want 1 current and no call", db)
	}
	if !slices.Contains(codes(p.Diagnostics), CodeIPHeld) {
		t.Errorf("codes %v, want %s", codes(p.Diagnostics), CodeIPHeld)
	}
}
