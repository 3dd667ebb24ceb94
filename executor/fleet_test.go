package executor

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"fleet/internal/cvm"
	"fleet/internal/cvmsim"
	"fleet/internal/state"
	"fleet/planner"
	"fleet/spec"
)

// fleetSpec is a fleet of two groups: web bought in two calls (100 and 50), api in one.
const fleetSpec = `
fleet "prod" {
  region = "ap-guangzhou"
}

defaults {
  instance_type = "CVM.S2"
  cpu           = 1
  mem           = 2
  image_id      = "img-31tjrtph"
  period        = 1
  zone_id       = 100003
  key_id        = "skey-3glfot13"
}

group "api" {
  count = 3
}

group "web" {
  count = 150
}
`

func loadFleet(t *testing.T, src string) *spec.Fleet {
	t.Helper()
	f, diags := spec.Load([]spec.File{{Name: "main.fleet.hcl", Src: []byte(src)}}, spec.Inputs{})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	return f
}

// marked returns n instances named name and marker, with ids prefix-0, prefix-1...
func marked(prefix, name, marker string, n int) []cvm.Instance {
	var out []cvm.Instance
	for i := range n {
		out = append(out, cvm.Instance{ID: fmt.Sprintf("%s-%d", prefix, i), Name: planner.MarkName(name, marker), Status: 2, ZoneID: 100003})
	}
	return out
}

// buyNamed buys one instance through c with the parameters of call but the given name and a
// token of its own.
func buyNamed(t *testing.T, c Buyer, call *planner.Call, name string) {
	t.Helper()
	p := copyParams(call.Params)
	p["instanceName"] = name
	p["goodsNum"] = "1"
	p["clientToken"] = planner.Token("decoy", "ap-guangzhou", 0, name, 0, p)
	if _, err := c.RunInstances(context.Background(), p); err != nil {
		t.Fatalf("buy %q: %v", name, err)
	}
}

// Against the simulator through the real client: more than a page of instances is found
// with one search, and names that merely contain the fleet's word are left out.
func TestFindFleetPagesAndWholeMarkers(t *testing.T) {
	sim, c := simClient(t, cvmsim.Config{})
	f := loadFleet(t, fleetSpec)
	st := state.New(f.Name, f.Region)
	p := planner.Compute(f, nil)
	if res := planAndApply(t, f, st, c); res.Bought != 153 || res.Done != 3 {
		t.Fatalf("apply: %+v, want 153 bought in 3 calls", res)
	}
	markers := map[string]string{} // marker -> group
	for _, call := range p.Calls() {
		markers[call.Marker] = call.Group
	}
	word := planner.FleetSearchWord(f.Name, f.Region)
	some := p.Calls()[0]
	other := planner.Marker("other", "ap-guangzhou", 0, "web", 0, some.Params)
	for _, name := range []string{
		"decoy " + word,                       // the fleet's word alone
		"decoy x" + some.Marker,               // not a whole word
		"decoy " + some.Marker + "z",          // longer than the marker
		"decoy " + word + "-abc",              // the tag with a short tail
		"decoy " + other,                      // another fleet
		"decoy fl-" + strings.Repeat("a", 10), // the form before the tag
	} {
		buyNamed(t, c, some, name)
	}
	before := sim.RequestCount("DescribeInstances")

	found, err := FindFleet(context.Background(), c, f.Name, f.Region)
	if err != nil {
		t.Fatal(err)
	}
	if n := sim.RequestCount("DescribeInstances") - before; n < 2 {
		t.Errorf("%d DescribeInstances requests, want the pages of more than 100 instances", n)
	}
	if len(found) != 153 {
		t.Fatalf("found %d instances, want the 153 of the fleet", len(found))
	}
	if !slices.IsSortedFunc(found, func(a, b FoundInstance) int { return strings.Compare(a.ID, b.ID) }) {
		t.Error("found instances are not sorted by id")
	}
	perGroup := map[string]int{}
	for _, in := range found {
		g, ok := markers[in.Marker]
		if !ok || in.Base != g || in.ZoneID != 100003 || in.Name != g+" "+in.Marker || st.Groups[g].Instance(in.ID) == nil {
			t.Errorf("found %+v", in)
		}
		perGroup[g]++
	}
	if perGroup["web"] != 150 || perGroup["api"] != 3 {
		t.Errorf("per group %v, want web 150 and api 3", perGroup)
	}
	if u := Unrecorded(st, found); len(u) != 0 {
		t.Errorf("%d instances unrecorded in the state that bought them", len(u))
	}
	if u := Unrecorded(nil, found); len(u) != len(found) {
		t.Errorf("without a state %d unrecorded, want all %d", len(u), len(found))
	}
}

func TestFindFleetLookupError(t *testing.T) {
	mc := &markerClient{fakeClient: newFake(), fail: &cvm.Error{Class: cvm.ClassAuth, Name: "AuthFailure"}}
	if _, err := FindFleet(context.Background(), mc, "prod", "ap-guangzhou"); err == nil || !strings.Contains(err.Error(), planner.FleetSearchWord("prod", "ap-guangzhou")) {
		t.Errorf("got %v, want an error naming the search word", err)
	}
	if want := []string{planner.FleetSearchWord("prod", "ap-guangzhou")}; !slices.Equal(mc.lookups, want) {
		t.Errorf("lookups %v, want %v", mc.lookups, want)
	}
}

func TestUnrecorded(t *testing.T) {
	st := newState()
	st.Apply(state.JournalRecord{Group: "web", Batch: &state.Batch{Seq: 0, Kind: state.KindRun, Status: state.StatusDone, InstanceIDs: []string{"ins-1"}}})
	found := []FoundInstance{{ID: "ins-2"}, {ID: "ins-1"}, {ID: "ins-3"}}
	got := Unrecorded(st, found)
	if len(got) != 2 || got[0].ID != "ins-2" || got[1].ID != "ins-3" {
		t.Errorf("Unrecorded = %+v, want ins-2 and ins-3", got)
	}
	if got := Unrecorded(nil, found); len(got) != 3 {
		t.Errorf("Unrecorded(nil) = %+v, want all", got)
	}
}

// lostFleet returns the plan of fleetSpec against an empty state and the instances its calls
// would have bought, named as they name them (web: 150, api: 3).
func lostFleet(t *testing.T) (*spec.Fleet, *planner.Plan, []cvm.Instance) {
	t.Helper()
	f := loadFleet(t, fleetSpec)
	p := planner.Compute(f, nil)
	var ins []cvm.Instance
	for _, c := range p.Calls() {
		ins = append(ins, marked(fmt.Sprintf("ins-%s%d", c.Group, c.Seq), c.Group, c.Marker, c.GoodsNum)...)
	}
	return f, p, ins
}

func TestCheckEmptyState(t *testing.T) {
	ctx := context.Background()
	f, p, ins := lostFleet(t)
	word := planner.FleetSearchWord(f.Name, f.Region)
	stray := planner.Marker(f.Name, f.Region, 0, "web", 9, map[string]string{"cpu": "8"})
	extra := append(slices.Clone(ins),
		cvm.Instance{ID: "ins-named-web", Name: "web " + stray},               // a marker no call uses, the name of web
		cvm.Instance{ID: "ins-mystery", Name: "mystery " + stray},             // neither tells
		cvm.Instance{ID: "ins-decoy", Name: "decoy x" + word + "-aaaaaaaaaa"}, // not a marker
	)

	t.Run("lost state blocks", func(t *testing.T) {
		mc := &markerClient{fakeClient: newFake(), instances: extra}
		r, err := CheckEmptyState(ctx, mc, p, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(mc.lookups, []string{word}) {
			t.Errorf("lookups %v, want one for %s", mc.lookups, word)
		}
		if r == nil || len(r.Unrecorded) != 155 || r.Groups["web"] != 151 || r.Groups["api"] != 3 || r.Unknown != 1 {
			t.Fatalf("report %+v, want 155 unrecorded: web 151, api 3, 1 unknown", r)
		}
		if !slices.Equal(r.NewGroups, []string{"api", "web"}) {
			t.Errorf("new groups %v", r.NewGroups)
		}
		if !r.Blocks("web") || !r.Blocks("api") || r.Blocks("db") {
			t.Errorf("Blocks: web %v, api %v, db %v; want true, true, false", r.Blocks("web"), r.Blocks("api"), r.Blocks("db"))
		}
		msg := r.Message()
		for _, want := range []string{"Nothing was bought", "155 instances", `fleet "prod"`, word, "  api: 3\n", "  web: 151\n",
			"  unknown group: 1\n", "groups api, web", "fleet state recover"} {
			if !strings.Contains(msg, want) {
				t.Errorf("message does not say %q:\n%s", want, msg)
			}
		}
		err = r.Err()
		if !errors.Is(err, ErrUnrecordedInstances) || err.Error() != msg {
			t.Errorf("Err = %v, want the message matching ErrUnrecordedInstances", err)
		}
	})

	t.Run("an empty state is no state", func(t *testing.T) {
		mc := &markerClient{fakeClient: newFake(), instances: ins}
		st := newState()
		st.Groups["web"] = &state.Group{} // a record without batches
		r, err := CheckEmptyState(ctx, mc, planner.Compute(f, st), st)
		if err != nil || r == nil || len(r.Unrecorded) != 153 {
			t.Fatalf("report %+v, %v; want 153 unrecorded", r, err)
		}
	})

	t.Run("known groups need no lookup", func(t *testing.T) {
		mc := &markerClient{fakeClient: newFake(), instances: extra}
		st := newState()
		for _, g := range []string{"api", "web"} {
			st.Apply(state.JournalRecord{Group: g, Batch: &state.Batch{Seq: 0, Kind: state.KindRun, Status: state.StatusFailed}})
		}
		r, err := CheckEmptyState(ctx, mc, planner.Compute(f, st), st)
		if err != nil || r != nil {
			t.Errorf("got %+v, %v; want no report", r, err)
		}
		if len(mc.lookups) != 0 {
			t.Errorf("lookups %v, want none", mc.lookups)
		}
	})

	t.Run("recorded instances never block", func(t *testing.T) {
		mc := &markerClient{fakeClient: newFake(), instances: ins}
		st := newState()
		var webIDs []string
		for _, in := range ins {
			if strings.HasPrefix(in.ID, "ins-web") {
				webIDs = append(webIDs, in.ID)
			}
		}
		// The state records web (all of its instances, in one import) and api's instances in
		// another group; api itself is new.
		st.Apply(state.JournalRecord{Group: "web", Batch: &state.Batch{Seq: 0, Kind: state.KindImport, Status: state.StatusDone, InstanceIDs: webIDs}})
		st.Apply(state.JournalRecord{Group: "old", Batch: &state.Batch{Seq: 0, Kind: state.KindImport, Status: state.StatusDone,
			InstanceIDs: []string{"ins-api0-0", "ins-api0-1", "ins-api0-2"}}})
		p := planner.Compute(f, st)
		r, err := CheckEmptyState(ctx, mc, p, st)
		if err != nil || r != nil {
			t.Errorf("got %+v, %v; want no report", r, err)
		}
		if len(mc.lookups) != 1 {
			t.Errorf("lookups %v, want one: api is new", mc.lookups)
		}
	})

	t.Run("nothing found", func(t *testing.T) {
		mc := &markerClient{fakeClient: newFake()}
		r, err := CheckEmptyState(ctx, mc, p, nil)
		if err != nil || r != nil || len(mc.lookups) != 1 {
			t.Errorf("got %+v, %v after %d lookups; want no report after one", r, err, len(mc.lookups))
		}
	})

	t.Run("lookup fails", func(t *testing.T) {
		mc := &markerClient{fakeClient: newFake(), fail: &cvm.Error{Class: cvm.ClassRetryable, Name: "OperationFail.SystemBusy"}}
		if r, err := CheckEmptyState(ctx, mc, p, nil); err == nil || r != nil {
			t.Errorf("got %+v, %v; want an error", r, err)
		}
	})

	var none *GuardReport
	if none.Blocks("web") || none.Message() != "" || none.Err() != nil {
		t.Error("a nil report blocks")
	}
}

// A fleet whose state was lost is recovered from its instances: the records rebuild each
// call as it was bought, and planning again buys nothing.
func TestRecoverLostFleet(t *testing.T) {
	ctx := context.Background()
	_, c := simClient(t, cvmsim.Config{})
	f := loadFleet(t, fleetSpec)
	bought := state.New(f.Name, f.Region)
	planAndApply(t, f, bought, c)

	lost := state.New(f.Name, f.Region)
	p := planner.Compute(f, lost)
	r, err := CheckEmptyState(ctx, c, p, lost)
	if err != nil || r == nil || len(r.Unrecorded) != 153 || r.Unknown != 0 {
		t.Fatalf("guard: %+v, %v; want 153 unrecorded, all attributed", r, err)
	}
	found, err := FindFleet(ctx, c, f.Name, f.Region)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	recs, rep := RecoverRecords(p, lost, found, now)
	if rep.Instances() != 153 || len(rep.Unattributed) != 0 || rep.Recorded != 0 || len(recs) != 3 {
		t.Fatalf("report %+v with %d records, want 153 adopted in 3 records", rep, len(recs))
	}
	for _, rec := range recs {
		lost.Apply(rec)
	}
	if err := lost.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, g := range []string{"api", "web"} {
		was, now := bought.Groups[g], lost.Groups[g]
		if len(was.Batches) != len(now.Batches) {
			t.Fatalf("group %s: %d batches recovered, %d bought", g, len(now.Batches), len(was.Batches))
		}
		for i, b := range now.Batches {
			w := was.Batches[i]
			if b.Kind != state.KindRun || b.Seq != w.Seq || b.ClientToken != w.ClientToken || b.Marker != w.Marker || b.GoodsNum != w.GoodsNum ||
				!b.Adopted || b.Status != state.StatusDone || !slices.Equal(b.InstanceIDs, slices.Sorted(slices.Values(w.InstanceIDs))) || fmt.Sprint(b.Params) != fmt.Sprint(w.Params) {
				t.Errorf("group %s batch %d: recovered %+v, bought %+v", g, i, b, w)
			}
		}
	}
	again := planner.Compute(f, lost)
	if again.HasChanges() || again.Summary.Purchase != 0 {
		t.Errorf("the recovered fleet plans %d purchases in %d calls", again.Summary.Purchase, again.Summary.Calls)
	}
	for _, g := range again.Groups {
		if g.ConfigDiff != "" || g.Action != planner.ActionNone {
			t.Errorf("group %s: action %s, diff %q", g.Name, g.Action, g.ConfigDiff)
		}
	}
	if r, err := CheckEmptyState(ctx, c, again, lost); err != nil || r != nil {
		t.Errorf("guard after recovery: %+v, %v", r, err)
	}
	// Recovering again adopts nothing more.
	if recs, rep := RecoverRecords(again, lost, found, now); len(recs) != 0 || rep.Recorded != 153 {
		t.Errorf("second recovery: %d records, report %+v", len(recs), rep)
	}
}

// Instances whose marker no call uses go to the group their name tells, as import batches
// with the group's next seqs; instances whose group cannot be told are not adopted.
func TestRecoverRecordsImportsAndUnattributed(t *testing.T) {
	f, _, ins := lostFleet(t)
	st := newState()
	// The state knows web's first call (seq 0, 100 instances) and a failed seq 1.
	p0 := planner.Compute(f, nil)
	first := p0.Group("web").Calls[0]
	st.Apply(state.JournalRecord{Group: "web", Batch: &state.Batch{Seq: 0, Kind: state.KindRun, ClientToken: first.ClientToken, Marker: first.Marker,
		GoodsNum: 100, Params: first.Params, Status: state.StatusDone, InstanceIDs: idsOf(ins, "ins-web0-")}})
	st.Apply(state.JournalRecord{Group: "web", Batch: &state.Batch{Seq: 1, Kind: state.KindRun, Status: state.StatusFailed}})
	p := planner.Compute(f, st)

	tag := planner.FleetTag(f.Name, f.Region)
	strayA := planner.Marker(f.Name, f.Region, 0, "web", 40, nil)
	strayB := planner.Marker(f.Name, f.Region, 0, "web", 41, nil)
	var found []FoundInstance
	add := func(list []cvm.Instance) {
		for _, in := range list {
			m, base, ok := planner.FleetMarkerOf(in.Name, tag)
			if !ok {
				t.Fatalf("%q carries no marker", in.Name)
			}
			found = append(found, FoundInstance{ID: in.ID, Name: in.Name, Marker: m, Base: base})
		}
	}
	add(ins)
	add(marked("ins-b", "web", strayB, 2))
	add(marked("ins-a", "web", strayA, 1))
	add(marked("ins-x", "who", strayA, 1))
	add(marked("ins-a", "web", strayA, 1)) // listed twice
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	recs, rep := RecoverRecords(p, st, found, now)

	if rep.Recorded != 100 || len(rep.Unattributed) != 1 || rep.Unattributed[0].ID != "ins-x-0" {
		t.Errorf("report %+v, want 100 recorded and ins-x-0 unattributed", rep)
	}
	if got := len(rep.Adopted["web"]); got != 50+3 || len(rep.Adopted["api"]) != 3 {
		t.Errorf("adopted %v, want web 53, api 3", rep.Adopted)
	}
	type want struct {
		group  string
		seq    int
		kind   string
		marker string
		n      int
	}
	var got []want
	for _, r := range recs {
		b := r.Batch
		got = append(got, want{r.Group, b.Seq, b.Kind, b.Marker, len(b.InstanceIDs)})
		if b.Status != state.StatusDone || !b.Adopted || !b.CreatedAt.Equal(now) || !slices.IsSorted(b.InstanceIDs) {
			t.Errorf("record %s #%d: %+v", r.Group, b.Seq, b)
		}
		if b.Kind == state.KindImport && (b.ClientToken != "" || b.Params != nil || b.GoodsNum != len(b.InstanceIDs)) {
			t.Errorf("import %s #%d: %+v", r.Group, b.Seq, b)
		}
	}
	// The 50 instances of web's second call carry the marker of seq 1, which the state
	// records as failed without parameters, while the plan against the state buys at seq 2
	// with another marker: neither tells their call, their name tells their group, so they
	// are imported like the strays, at the next seqs in the order of their markers.
	second := p0.Group("web").Calls[1]
	wantRecs := []want{
		{"api", 0, state.KindRun, p.Group("api").Calls[0].Marker, 3},
		{"web", 2, state.KindImport, second.Marker, 50},
		{"web", 3, state.KindImport, strayA, 1},
		{"web", 4, state.KindImport, strayB, 2},
	}
	slices.SortFunc(wantRecs[1:], func(a, b want) int { return strings.Compare(a.marker, b.marker) })
	for i := range wantRecs[1:] {
		wantRecs[1+i].seq = 2 + i
	}
	if fmt.Sprint(got) != fmt.Sprint(wantRecs) {
		t.Errorf("records\n%v\nwant\n%v", got, wantRecs)
	}
	for _, r := range recs {
		st.Apply(r)
	}
	if err := st.Validate(); err != nil {
		t.Fatal(err)
	}
	again := planner.Compute(f, st)
	if again.Summary.Purchase != 0 {
		t.Errorf("after recovery the plan buys %d", again.Summary.Purchase)
	}
}

// A pending batch whose instances are found is recorded done with them, at its seq.
func TestRecoverRecordsPendingBatch(t *testing.T) {
	f := loadFleet(t, fleetSpec)
	p0 := planner.Compute(f, nil)
	c := p0.Group("api").Calls[0]
	st := newState()
	st.Apply(state.JournalRecord{Group: "api", Batch: &state.Batch{Seq: 0, Kind: state.KindRun, ClientToken: c.ClientToken, Marker: c.Marker,
		GoodsNum: 3, Params: c.Params, Status: state.StatusPending, Error: &state.BatchError{Message: "timeout"}}})
	p := planner.Compute(f, st)
	found := []FoundInstance{{ID: "ins-2", Marker: c.Marker, Base: "api"}, {ID: "ins-1", Marker: c.Marker, Base: "api"}}
	recs, rep := RecoverRecords(p, st, found, time.Unix(0, 0))
	if len(recs) != 1 || rep.Instances() != 2 {
		t.Fatalf("records %+v, report %+v", recs, rep)
	}
	b := recs[0].Batch
	if recs[0].Group != "api" || b.Seq != 0 || b.Status != state.StatusDone || !b.Adopted || b.Error != nil ||
		b.ClientToken != c.ClientToken || !slices.Equal(b.InstanceIDs, []string{"ins-1", "ins-2"}) {
		t.Errorf("record %+v", b)
	}
	if st.Groups["api"].Batches[0].Status != state.StatusPending {
		t.Error("RecoverRecords changed the state")
	}
}

func idsOf(ins []cvm.Instance, prefix string) []string {
	var out []string
	for _, in := range ins {
		if strings.HasPrefix(in.ID, prefix) {
			out = append(out, in.ID)
		}
	}
	slices.Sort(out)
	return out
}
