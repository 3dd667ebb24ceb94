package planner

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"

	"fleet/internal/secret"
	"fleet/internal/state"
	"fleet/spec"
)

// testConfig returns a valid configuration for group tests.
func testConfig(name string) spec.Config {
	return spec.Config{
		CPU: 2, Mem: 4, ImageID: "img-lkxqa4kj", ImageType: "public", Period: 12,
		InstanceType: "CVM.S2", ZoneID: 100003, StorageType: "cloud", RootSize: 20,
		OS: "linux", BandwidthType: "PayByBandwidth", SecurityAgent: true, MonitorAgent: true,
		Password: "Secret-pass1", InstanceName: name,
	}
}

func testGroup(name string, count int) *spec.Group {
	return &spec.Group{
		Name: name, Count: count, Config: testConfig(name),
		DeclRange: hcl.Range{Filename: "main.fleet.hcl", Start: hcl.Pos{Line: 1, Column: 1, Byte: 0}, End: hcl.Pos{Line: 1, Column: 12, Byte: 11}},
	}
}

func testFleet(groups ...*spec.Group) *spec.Fleet {
	return &spec.Fleet{Name: "prod", Region: "ap-guangzhou", ProjectID: 0, Groups: groups}
}

// boughtState returns a state in which each group of groups has one done batch of as many
// running instances as the map gives, bought with the group's test configuration.
func boughtState(groups map[string]int) *state.State {
	st := &state.State{FormatVersion: state.FormatVersion, Lineage: "lin-1", Serial: 3, Fleet: "prod", Region: "ap-guangzhou", Groups: map[string]*state.Group{}}
	for _, name := range slices.Sorted(maps.Keys(groups)) {
		n := groups[name]
		cfg := testConfig(name)
		params := secret.HashParams(cfg.Params())
		params[paramGoodsNum] = strconv.Itoa(n)
		tok := Token("prod", "ap-guangzhou", 0, name, 0, params)
		params[paramToken] = tok
		b := &state.Batch{Seq: 0, Kind: state.KindRun, ClientToken: tok, GoodsNum: n, Params: params, Status: state.StatusDone}
		sg := &state.Group{Batches: []*state.Batch{b}}
		for i := range n {
			id := fmt.Sprintf("ins-%s%04d", name, i)
			b.InstanceIDs = append(b.InstanceIDs, id)
			sg.Instances = append(sg.Instances, &state.Instance{ID: id, Batch: 0, Status: state.InstanceRunning})
		}
		st.Groups[name] = sg
	}
	return st
}

func goods(calls []*Call) []int {
	out := []int{}
	for _, c := range calls {
		out = append(out, c.GoodsNum)
	}
	return out
}

func codes(ds hcl.Diagnostics) []string {
	out := []string{}
	for _, d := range ds {
		out = append(out, spec.Code(d))
	}
	return out
}

func TestComputeEmptyState(t *testing.T) {
	f := testFleet(testGroup("api", 3), testGroup("web", 250))
	p := Compute(f, nil)
	if !p.Valid() || !p.Applyable() || !p.HasChanges() {
		t.Fatalf("valid=%v applyable=%v changes=%v, want all true", p.Valid(), p.Applyable(), p.HasChanges())
	}
	if got, want := len(p.Groups), 2; got != want {
		t.Fatalf("got %d groups, want %d", got, want)
	}
	web := p.Group("web")
	if diff := cmp.Diff([]int{100, 100, 50}, goods(web.Calls)); diff != "" {
		t.Errorf("web goods (-want +got):\n%s", diff)
	}
	for i, c := range web.Calls {
		if c.Seq != i {
			t.Errorf("call %d: seq %d, want %d", i, c.Seq, i)
		}
		if c.Params["goodsNum"] != strconv.Itoa(c.GoodsNum) || c.Params["clientToken"] != c.ClientToken {
			t.Errorf("call %d: params goodsNum=%q clientToken=%q disagree with the call", i, c.Params["goodsNum"], c.Params["clientToken"])
		}
		if got := c.Params["password"]; got != secret.Hash("Secret-pass1") {
			t.Errorf("call %d: password param %q, want its hash", i, got)
		}
	}
	want := Summary{Purchase: 253, Calls: 4, InstanceMonths: 253 * 12}
	if diff := cmp.Diff(want, p.Summary); diff != "" {
		t.Errorf("summary (-want +got):\n%s", diff)
	}
	if web.Action != ActionPurchase || web.Purchase != 250 || web.Desired != 250 || web.Current != 0 {
		t.Errorf("web = %+v, want purchase of 250", web)
	}
}

func TestComputeCallSizes(t *testing.T) {
	for _, tc := range []struct {
		n    int
		want []int
	}{
		{0, []int{}}, {1, []int{1}}, {100, []int{100}}, {101, []int{100, 1}}, {250, []int{100, 100, 50}}, {300, []int{100, 100, 100}},
	} {
		p := Compute(testFleet(testGroup("web", tc.n)), nil)
		if diff := cmp.Diff(tc.want, goods(p.Group("web").Calls)); diff != "" {
			t.Errorf("count %d: goods (-want +got):\n%s", tc.n, diff)
		}
	}
}

func TestComputePartlyBought(t *testing.T) {
	st := boughtState(map[string]int{"web": 4})
	p := Compute(testFleet(testGroup("web", 10)), st)
	web := p.Group("web")
	if web.Action != ActionPurchase || web.Current != 4 || web.Purchase != 6 {
		t.Fatalf("web = %+v, want purchase 6 with 4 current", web)
	}
	if len(web.Calls) != 1 || web.Calls[0].Seq != 1 || web.Calls[0].GoodsNum != 6 {
		t.Fatalf("calls = %v, want one call of 6 with seq 1", goods(web.Calls))
	}
	if web.ConfigDiff != "" {
		t.Errorf("config diff %q, want none", web.ConfigDiff)
	}
	if p.StateLineage != "lin-1" || p.StateSerial != 3 {
		t.Errorf("state %q/%d, want lin-1/3", p.StateLineage, p.StateSerial)
	}
}

func TestComputeGoneInstancesAreRebought(t *testing.T) {
	st := boughtState(map[string]int{"web": 4})
	st.Groups["web"].Instances[1].Status = state.InstanceReturned
	st.Groups["web"].Instances[2].Status = state.InstanceFailed
	p := Compute(testFleet(testGroup("web", 4)), st)
	if web := p.Group("web"); web.Current != 2 || web.Purchase != 2 {
		t.Fatalf("web current %d purchase %d, want 2 and 2", web.Current, web.Purchase)
	}
}

func TestComputeSteadyState(t *testing.T) {
	st := boughtState(map[string]int{"web": 4, "api": 2})
	p := Compute(testFleet(testGroup("api", 2), testGroup("web", 4)), st)
	if p.HasChanges() || !p.Applyable() {
		t.Fatalf("changes=%v applyable=%v, want a valid plan without changes", p.HasChanges(), p.Applyable())
	}
	for _, g := range p.Groups {
		if g.Action != ActionNone {
			t.Errorf("group %s action %s, want none", g.Name, g.Action)
		}
	}
	if len(p.Diagnostics) != 0 {
		t.Errorf("diagnostics %v, want none", codes(p.Diagnostics))
	}
}

func TestComputeSurplusLapses(t *testing.T) {
	st := boughtState(map[string]int{"web": 5})
	p := Compute(testFleet(testGroup("web", 3)), st)
	web := p.Group("web")
	if web.Action != ActionLapse || len(web.Calls) != 0 || web.Purchase != 0 || web.Current != 5 {
		t.Fatalf("web = %+v, want a lapse without calls, 5 current", web)
	}
	if len(p.Diagnostics) != 0 {
		t.Fatalf("codes %v, want none", codes(p.Diagnostics))
	}
	// No deadline is known: the surplus is chosen by id.
	if diff := cmp.Diff([]string{"ins-web0000", "ins-web0001"}, web.Lapse); diff != "" {
		t.Errorf("web.Lapse (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]*FlagChange{{Flag: state.AutoRenewNever, InstanceIDs: []string{"ins-web0000", "ins-web0001"}}}, web.Flags); diff != "" {
		t.Errorf("web.Flags (-want +got):\n%s", diff)
	}
	if !p.Applyable() || !p.HasChanges() {
		t.Error("a lapse made the plan not applyable, or has no change")
	}
}

// TestComputeSurplusByOne checks the edge of surplus: one instance more than count.
func TestComputeSurplusByOne(t *testing.T) {
	p := Compute(testFleet(testGroup("web", 3)), boughtState(map[string]int{"web": 4}))
	if web := p.Group("web"); web.Action != ActionLapse || len(web.Calls) != 0 || len(web.Lapse) != 1 {
		t.Fatalf("web = %+v, want one lapsing without calls", web)
	}
}

func TestComputeOrphan(t *testing.T) {
	st := boughtState(map[string]int{"old": 2, "web": 1})
	p := Compute(testFleet(testGroup("web", 1)), st)
	old := p.Group("old")
	if old == nil || old.Action != ActionOrphan || old.Current != 2 || len(old.Calls) != 0 {
		t.Fatalf("old = %+v, want an orphan with 2 current", old)
	}
	if diff := cmp.Diff([]string{"orphan"}, codes(p.Diagnostics)); diff != "" {
		t.Fatalf("codes (-want +got):\n%s", diff)
	}
	if !strings.Contains(p.Diagnostics[0].Detail, `"old"`) {
		t.Errorf("orphan detail %q does not name the group", p.Diagnostics[0].Detail)
	}
	if p.HasChanges() {
		t.Error("orphan plan has changes")
	}
}

func TestComputeResume(t *testing.T) {
	st := boughtState(map[string]int{"web": 2})
	sg := st.Groups["web"]
	// An interrupted apply left seq 1 pending (with the old image) and seq 2 failed.
	old := secret.HashParams(testConfig("web").Params())
	old["imageId"] = "img-oldoldol"
	old["goodsNum"] = "3"
	old["clientToken"] = "web-1-pendingtoken"
	sg.Batches = append(sg.Batches,
		&state.Batch{Seq: 1, Kind: state.KindRun, ClientToken: "web-1-pendingtoken", GoodsNum: 3, Params: old, Status: state.StatusPending},
		&state.Batch{Seq: 2, Kind: state.KindRun, ClientToken: "web-2-failed", GoodsNum: 1, Params: map[string]string{"goodsNum": "1"}, Status: state.StatusFailed})
	f := testFleet(testGroup("web", 10))
	p := Compute(f, st)
	web := p.Group("web")
	if web.Action != ActionResume || web.Current != 2 || web.Pending != 3 || web.Purchase != 5 {
		t.Fatalf("web = %+v, want resume, current 2, pending 3, purchase 5", web)
	}
	if diff := cmp.Diff([]int{3, 5}, goods(web.Calls)); diff != "" {
		t.Fatalf("goods (-want +got):\n%s", diff)
	}
	r := web.Calls[0]
	if !r.Resume || r.Seq != 1 || r.ClientToken != "web-1-pendingtoken" || r.Params["imageId"] != "img-oldoldol" {
		t.Errorf("resumed call = %+v, want the recorded batch", r)
	}
	n := web.Calls[1]
	if n.Resume || n.Seq != 3 || n.Params["imageId"] != "img-lkxqa4kj" {
		t.Errorf("new call = %+v, want seq 3 (after the failed seq 2) with the spec's image", n)
	}
	if p.Summary.Calls != 2 || p.Summary.Purchase != 8 {
		t.Errorf("summary %+v, want 2 calls of 8 instances", p.Summary)
	}

	// A pending batch that already covers the count: resume only.
	p = Compute(testFleet(testGroup("web", 4)), st)
	if web := p.Group("web"); web.Action != ActionResume || web.Purchase != 0 || len(web.Calls) != 1 {
		t.Errorf("web = %+v, want resume of the pending batch only", web)
	}

	// More instances than desired and a pending batch: the batch is still resolved, and the
	// surplus lapses.
	p = Compute(testFleet(testGroup("web", 1)), st)
	if web := p.Group("web"); web.Action != ActionResume || len(web.Calls) != 1 || !web.Calls[0].Resume || len(web.Lapse) == 0 {
		t.Errorf("web = %+v, want resume of the pending batch and a lapse", web)
	}
	if len(p.Diagnostics) != 0 {
		t.Errorf("codes %v, want none", codes(p.Diagnostics))
	}
}

func TestComputeConfigDrift(t *testing.T) {
	st := boughtState(map[string]int{"web": 2})
	g := testGroup("web", 3)
	g.Config.ImageID = "img-newnewne"
	g.Config.Password = "Other-pass22"
	p := Compute(testFleet(g), st)
	web := p.Group("web")
	want := `--- web (bought)
+++ web (desired)
@@ -1,7 +1,7 @@
 bandwidth = 0
 bandwidthType = PayByBandwidth
 cpu = 2
-imageId = img-lkxqa4kj
+imageId = img-newnewne
 imageType = 2
 instanceName = web
 instanceType = CVM.S2
@@ -9,7 +9,7 @@
 mem = 4
 needMonitorAgent = 1
 needSecurityAgent = 1
-password = ` + secret.Hash("Secret-pass1") + `
+password = ` + secret.Hash("Other-pass22") + `
 period = 12
 projectId = 0
 rootSize = 20
`
	if diff := cmp.Diff(want, web.ConfigDiff); diff != "" {
		t.Errorf("config diff (-want +got):\n%s", diff)
	}
	if strings.Contains(web.ConfigDiff, "Secret-pass1") || strings.Contains(web.ConfigDiff, "Other-pass22") {
		t.Error("config diff shows a password")
	}
	if diff := cmp.Diff([]string{"config-drift"}, codes(p.Diagnostics)); diff != "" {
		t.Fatalf("codes (-want +got):\n%s", diff)
	}
	if !strings.Contains(p.Diagnostics[0].Detail, "Existing instances keep their old configuration") {
		t.Errorf("detail %q", p.Diagnostics[0].Detail)
	}
	if web.Action != ActionPurchase || web.Calls[0].Params["imageId"] != "img-newnewne" {
		t.Errorf("web = %+v, want a purchase with the new image", web)
	}
}

func TestComputePrivateIPs(t *testing.T) {
	g := testGroup("db", 3)
	g.Config.VpcID, g.Config.SubnetID = "vpc-abc", "subnet-abc"
	g.Config.PrivateIPs = []string{"10.0.0.1", "10.0.0.2", "10.0.0.3"}
	p := Compute(testFleet(g), nil)
	db := p.Group("db")
	if diff := cmp.Diff([]int{1, 1, 1}, goods(db.Calls)); diff != "" {
		t.Fatalf("goods (-want +got):\n%s", diff)
	}
	for i, c := range db.Calls {
		if got := c.Params["privateIpAddresses.0"]; got != g.Config.PrivateIPs[i] {
			t.Errorf("call %d ip %q, want %q", i, got, g.Config.PrivateIPs[i])
		}
	}
	// Apply the first two calls; the second instance is returned later.
	st := &state.State{Lineage: "l", Fleet: "prod", Region: "ap-guangzhou", Groups: map[string]*state.Group{}}
	for _, c := range db.Calls[:2] {
		applyCall(st, c)
	}
	st.Groups["db"].Instances[1].Status = state.InstanceReturned
	p = Compute(testFleet(g), st)
	db = p.Group("db")
	var ips []string
	for _, c := range db.Calls {
		ips = append(ips, c.Params["privateIpAddresses.0"])
	}
	if diff := cmp.Diff([]string{"10.0.0.2", "10.0.0.3"}, ips); diff != "" {
		t.Errorf("ips (-want +got):\n%s", diff)
	}
	if db.Calls[0].Seq != 2 || db.Calls[1].Seq != 3 {
		t.Errorf("seqs %d,%d, want 2,3", db.Calls[0].Seq, db.Calls[1].Seq)
	}
}

// TestComputePrivateIPOfDoneBatchWithoutInstances checks that a done batch whose instances
// were never recorded still holds its address: buying it again would fail or, worse, buy
// twice.
func TestComputePrivateIPOfDoneBatchWithoutInstances(t *testing.T) {
	g := testGroup("db", 2)
	g.Config.VpcID, g.Config.SubnetID = "vpc-abc", "subnet-abc"
	g.Config.PrivateIPs = []string{"10.0.0.1", "10.0.0.2"}
	first := Compute(testFleet(g), nil).Group("db").Calls[0]
	st := &state.State{Lineage: "l", Fleet: "prod", Region: "ap-guangzhou", Groups: map[string]*state.Group{}}
	st.Apply(state.JournalRecord{Group: "db", Batch: &state.Batch{Seq: first.Seq, Kind: state.KindRun,
		ClientToken: first.ClientToken, GoodsNum: 1, Params: first.Params, Status: state.StatusDone}})
	var ips []string
	for _, c := range Compute(testFleet(g), st).Group("db").Calls {
		ips = append(ips, c.Params["privateIpAddresses.0"])
	}
	if diff := cmp.Diff([]string{"10.0.0.2"}, ips); diff != "" {
		t.Errorf("ips (-want +got):\n%s", diff)
	}
}

func TestComputeInvalidGroup(t *testing.T) {
	bad := testGroup("bad", 2)
	d := spec.WithCode("period-range", &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Period out of range"})
	bad.Diags = hcl.Diagnostics{d}
	f := testFleet(bad, testGroup("good", 1))
	f.Diags = hcl.Diagnostics{d}
	p := Compute(f, nil)
	if p.Valid() || p.Applyable() {
		t.Fatalf("valid=%v applyable=%v, want false", p.Valid(), p.Applyable())
	}
	if g := p.Group("bad"); g.Action != ActionInvalid || len(g.Calls) != 0 || g.Desired != 2 {
		t.Errorf("bad = %+v, want invalid without calls", g)
	}
	if g := p.Group("good"); g.Action != ActionPurchase || len(g.Calls) != 1 {
		t.Errorf("good = %+v, want a purchase", g)
	}
	if diff := cmp.Diff([]string{"period-range"}, codes(p.Diagnostics)); diff != "" {
		t.Errorf("codes (-want +got):\n%s", diff)
	}
}

func TestComputeStateMismatch(t *testing.T) {
	for _, tc := range []struct{ fleet, region string }{{"other", "ap-guangzhou"}, {"prod", "ap-beijing"}} {
		st := boughtState(map[string]int{"web": 1})
		st.Fleet, st.Region = tc.fleet, tc.region
		p := Compute(testFleet(testGroup("web", 1)), st)
		if p.Valid() || p.Applyable() {
			t.Errorf("%v: plan is valid against another fleet's state", tc)
		}
		if diff := cmp.Diff([]string{"state-mismatch"}, codes(p.Diagnostics)); diff != "" {
			t.Errorf("%v: codes (-want +got):\n%s", tc, diff)
		}
	}
}

func TestComputeDeterministic(t *testing.T) {
	st := boughtState(map[string]int{"a": 3, "b": 1, "z": 2})
	f := testFleet(testGroup("a", 5), testGroup("b", 1), testGroup("c", 120))
	first := Compute(f, st)
	for range 20 {
		if diff := cmp.Diff(first, Compute(f, st), cmp.Comparer(func(a, b *hcl.Diagnostic) bool { return a.Summary == b.Summary && a.Detail == b.Detail })); diff != "" {
			t.Fatalf("plans differ (-first +again):\n%s", diff)
		}
	}
}

func TestComputeLeavesInputsAlone(t *testing.T) {
	st := boughtState(map[string]int{"web": 3, "old": 1})
	st.Groups["web"].Batches = append(st.Groups["web"].Batches, &state.Batch{Seq: 1, Kind: state.KindRun, ClientToken: "web-1-x",
		GoodsNum: 2, Params: map[string]string{"goodsNum": "2", "clientToken": "web-1-x", "password": secret.Hash("p")}, Status: state.StatusPending})
	g := testGroup("web", 9)
	f := testFleet(g)
	before, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	cfg := fmt.Sprintf("%#v", g.Config)
	p := Compute(f, st)
	for _, c := range p.Calls() {
		c.Params["mutated"] = "1"
	}
	after, _ := json.Marshal(st)
	if diff := cmp.Diff(string(before), string(after)); diff != "" {
		t.Errorf("Compute or a caller's change to its calls altered the state (-before +after):\n%s", diff)
	}
	if got := fmt.Sprintf("%#v", g.Config); got != cfg {
		t.Errorf("Compute altered the group's configuration")
	}
}
