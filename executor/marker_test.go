package executor

import (
	"context"
	"slices"
	"testing"
	"time"

	"fleet/internal/cvm"
	"fleet/internal/state"
	"fleet/planner"
	"fleet/spec"
)

// Every call is journaled with the marker its instance name carries, from its pending record
// on.
func TestPendingRecordCarriesMarker(t *testing.T) {
	f := newFixture()
	p := planner.Compute(loadFleet(t, fleetSpec), nil)
	if _, err := Apply(context.Background(), p, f.opts(nil)); err != nil {
		t.Fatal(err)
	}
	byCall := map[string]string{}
	for _, c := range p.Calls() {
		if c.Marker == "" || !planner.HasMarker(c.Params["instanceName"], c.Marker) {
			t.Fatalf("call %s #%d: marker %q, name %q", c.Group, c.Seq, c.Marker, c.Params["instanceName"])
		}
		byCall[c.ClientToken] = c.Marker
	}
	recs := f.journal.records()
	if len(recs) != 6 {
		t.Fatalf("%d records, want a pending and a done one per call", len(recs))
	}
	for _, r := range recs {
		if want := byCall[r.Batch.ClientToken]; r.Batch.Marker != want {
			t.Errorf("%s record of %s #%d: marker %q, want %q", r.Batch.Status, r.Group, r.Batch.Seq, r.Batch.Marker, want)
		}
	}
	for _, c := range p.Calls() {
		if b := batch(t, f.state, c.Group, c.Seq); b.Marker != c.Marker {
			t.Errorf("state batch %s #%d: marker %q, want %q", c.Group, c.Seq, b.Marker, c.Marker)
		}
	}
}

// v1PendingState returns a state with a pending batch of group web recorded before batches
// recorded their marker: its instance name carries a marker of the form before the fleet's
// tag, and its Marker is empty.
func v1PendingState(t *testing.T, fl *spec.Fleet) (*state.State, string) {
	t.Helper()
	c := planner.Compute(fl, nil).Group("web").Calls[0]
	params := copyParams(c.Params)
	base, _, _ := planner.SplitMarker(params["instanceName"])
	delete(params, "clientToken")
	m := planner.MarkerV1(fl.Name, fl.Region, fl.ProjectID, "web", 0, params)
	params["instanceName"] = planner.MarkName(base, m)
	tok := planner.Token(fl.Name, fl.Region, fl.ProjectID, "web", 0, params)
	params["clientToken"] = tok
	st := newState()
	st.Apply(state.JournalRecord{Group: "web", Batch: &state.Batch{Seq: 0, Kind: state.KindRun, ClientToken: tok, GoodsNum: c.GoodsNum,
		Params: params, Status: state.StatusPending, Attempts: 1, CreatedAt: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}})
	return st, m
}

// A pending batch recorded with a marker of the form before the fleet's tag, without its
// Marker, is still looked up by that marker on resume, its instances adopted and the
// marker recorded.
func TestResumeAdoptsByV1Marker(t *testing.T) {
	fl := loadFleet(t, fleetSpec)
	f := newFixture()
	var m string
	f.state, m = v1PendingState(t, fl)
	p := planner.Compute(fl, f.state)
	web := p.Group("web")
	if len(web.Calls) == 0 || !web.Calls[0].Resume || web.Calls[0].Marker != m || !p.AdoptOrResume(web) {
		t.Fatalf("web calls %+v: want the resumed call with marker %s first", web.Calls, m)
	}
	mc := &markerClient{fakeClient: f.client, instances: marked("ins-old", "web", m, 100)}
	res, err := Apply(context.Background(), p, f.opts(mc))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(mc.lookups, m) {
		t.Errorf("lookups %v, want one for %s", mc.lookups, m)
	}
	for _, tok := range f.client.sentTokens() {
		if tok == web.Calls[0].ClientToken {
			t.Error("the pending call was sent again although its instances exist")
		}
	}
	b := batch(t, f.state, "web", 0)
	if b.Status != state.StatusDone || !b.Adopted || len(b.InstanceIDs) != 100 || b.Marker != m {
		t.Errorf("batch %+v, want done, adopted with 100 instances and marker %s", b, m)
	}
	if res.Adopted != 100 {
		t.Errorf("result %+v", res)
	}
}

// A batch that recorded its marker keeps it when its group is renamed (fleet state mv): the
// resumed call is looked up by the recorded marker, which the new group name would not give.
func TestResumeAdoptsByRecordedMarkerAfterRename(t *testing.T) {
	fl := loadFleet(t, fleetSpec)
	c := planner.Compute(fl, nil).Group("web").Calls[0]
	f := newFixture()
	f.state.Apply(state.JournalRecord{Group: "www", Batch: &state.Batch{Seq: 0, Kind: state.KindRun, ClientToken: c.ClientToken, Marker: c.Marker,
		GoodsNum: c.GoodsNum, Params: c.Params, Status: state.StatusPending, Attempts: 1}})
	renamed := loadFleet(t, fleetSpec+"\ngroup \"www\" {\n  count = 100\n}\n")
	p := planner.Compute(renamed, f.state)
	www := p.Group("www")
	if len(www.Calls) != 1 || www.Calls[0].Marker != c.Marker {
		t.Fatalf("www calls %+v, want the resumed call with marker %s", www.Calls, c.Marker)
	}
	mc := &markerClient{fakeClient: f.client, instances: []cvm.Instance{{ID: "ins-1", Name: c.Params["instanceName"]}}}
	if _, err := Apply(context.Background(), p, f.opts(mc)); err != nil {
		t.Fatal(err)
	}
	if b := batch(t, f.state, "www", 0); b.Status != state.StatusDone || !b.Adopted || !slices.Equal(b.InstanceIDs, []string{"ins-1"}) || b.Marker != c.Marker {
		t.Errorf("batch %+v, want adopted by the recorded marker", b)
	}
}
