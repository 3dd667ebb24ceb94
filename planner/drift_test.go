package planner

import (
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"fleet/internal/secret"
	"fleet/internal/state"
)

// addBatch records a done batch of group name bought with image, of the given instance ids.
func addBatch(st *state.State, name string, seq int, image string, ids ...string) {
	cfg := testConfig(name)
	cfg.ImageID = image
	params := secret.HashParams(cfg.Params())
	params[paramGoodsNum] = strconv.Itoa(len(ids))
	tok := Token("prod", "ap-guangzhou", 0, name, seq, params)
	params[paramToken] = tok
	sg := st.Groups[name]
	sg.Batches = append(sg.Batches, &state.Batch{Seq: seq, Kind: state.KindRun, ClientToken: tok, GoodsNum: len(ids),
		Params: params, Status: state.StatusDone, InstanceIDs: ids})
	for _, id := range ids {
		sg.Instances = append(sg.Instances, &state.Instance{ID: id, Batch: seq, Status: state.InstanceRunning})
	}
}

// TestDriftEveryBoughtConfiguration checks that drift compares the spec with every
// configuration live instances were bought with, not only the latest call's.
func TestDriftEveryBoughtConfiguration(t *testing.T) {
	g := testGroup("web", 4)
	desired := g.Config.ImageID
	st := boughtState(map[string]int{"web": 2}) // call 0: the spec's image
	st.Groups["web"].Batches[0].Params["imageId"] = "img-old00001"
	addBatch(st, "web", 1, "img-old00002", "ins-b1")
	addBatch(st, "web", 2, desired, "ins-c1") // the latest call has the desired image

	p := Compute(testFleet(g), st)
	web := p.Group("web")
	if diff := cmp.Diff([]string{"config-drift"}, codes(p.Diagnostics)); diff != "" {
		t.Fatalf("codes (-want +got):\n%s", diff)
	}
	for _, want := range []string{
		"--- web (bought by call 0)\n", "-imageId = img-old00001\n",
		"--- web (bought by call 1)\n", "-imageId = img-old00002\n", "+imageId = " + desired + "\n",
	} {
		if !strings.Contains(web.ConfigDiff, want) {
			t.Errorf("config diff lacks %q:\n%s", want, web.ConfigDiff)
		}
	}
	if strings.Contains(web.ConfigDiff, "call 2") {
		t.Errorf("config diff shows call 2, bought with the desired configuration:\n%s", web.ConfigDiff)
	}
	d := p.Diagnostics[0].Detail
	if want := "differs from the one 3 of its 4 instances were bought with (ins-b1, ins-web0000, ins-web0001)"; !strings.Contains(d, want) {
		t.Errorf("drift detail = %q, want it to contain %q", d, want)
	}

	// Once the old instances are gone, nothing drifts.
	for _, in := range st.Groups["web"].Instances {
		if in.ID != "ins-c1" {
			in.Status = state.InstanceReturned
		}
	}
	p = Compute(testFleet(g), st)
	if web := p.Group("web"); web.ConfigDiff != "" || len(p.Diagnostics) != 0 {
		t.Errorf("after the old instances are gone: diff %q, diagnostics %v", web.ConfigDiff, codes(p.Diagnostics))
	}
}

// TestHasChanges checks which actions make a plan with changes: every one apply carries out,
// and no warning.
func TestHasChanges(t *testing.T) {
	for _, tc := range []struct {
		g    *GroupPlan
		want bool
	}{
		{&GroupPlan{Action: ActionPurchase, Calls: []*Call{{GoodsNum: 1}}}, true},
		{&GroupPlan{Action: ActionResume, Calls: []*Call{{GoodsNum: 1, Resume: true}}}, true},
		{&GroupPlan{Action: ActionMove, MovedFrom: "old"}, true},
		{&GroupPlan{Action: ActionRemove}, true},
		{&GroupPlan{Action: ActionLapse, Desired: 1, Current: 3, Lapse: []string{"ins-a", "ins-b"}}, false},
		{&GroupPlan{Action: ActionLapse, Lapse: []string{"ins-a"}, Flags: []*FlagChange{{Flag: 2, InstanceIDs: []string{"ins-a"}}}}, true},
		{&GroupPlan{Action: ActionRenew, Renewals: []*Renewal{{InstanceID: "ins-a", Period: 1}}}, true},
		{&GroupPlan{Action: ActionOrphan, Current: 3}, false},
		{&GroupPlan{Action: ActionNone, ConfigDiff: "--- a\n+++ b\n"}, false},
		{&GroupPlan{Action: ActionNone}, false},
	} {
		p := &Plan{Groups: []*GroupPlan{tc.g}}
		if got := p.HasChanges(); got != tc.want {
			t.Errorf("HasChanges with a group %s (moved from %q) = %v, want %v", tc.g.Action, tc.g.MovedFrom, got, tc.want)
		}
	}
}
