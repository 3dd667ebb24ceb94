package planner

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"
	"testing"

	"fleet/internal/state"
	"fleet/spec"
)

// applyCall records call c as bought in full through state.Apply: a done batch with fresh
// instance ids.
func applyCall(st *state.State, c *Call) {
	b := &state.Batch{Seq: c.Seq, Kind: state.KindRun, ClientToken: c.ClientToken, GoodsNum: c.GoodsNum,
		Params: c.Params, Status: state.StatusDone, DealIDs: []string{fmt.Sprintf("deal-%s-%d", c.Group, c.Seq)}}
	for i := range c.GoodsNum {
		b.InstanceIDs = append(b.InstanceIDs, fmt.Sprintf("ins-%s-%d-%d", c.Group, c.Seq, i))
	}
	st.Apply(state.JournalRecord{Group: c.Group, Batch: b})
	st.Serial++
}

// randomFleet returns a fleet of random valid groups, some with private IPs.
func randomFleet(r *rand.Rand) *spec.Fleet {
	f := testFleet()
	n := r.IntN(8)
	for i := range n {
		g := testGroup("g"+strconv.Itoa(i), r.IntN(320))
		g.Config.Period = 1 + r.IntN(36)
		if r.IntN(4) == 0 {
			g.Count = r.IntN(6)
			g.Config.VpcID, g.Config.SubnetID = "vpc-a", "subnet-a"
			for j := range g.Count {
				g.Config.PrivateIPs = append(g.Config.PrivateIPs, fmt.Sprintf("10.%d.0.%d", i, j+1))
			}
		}
		f.Groups = append(f.Groups, g)
	}
	return f
}

// randomState returns a state that already holds part of f, possibly with a pending batch
// and gone instances.
func randomState(r *rand.Rand, f *spec.Fleet) *state.State {
	st := &state.State{Lineage: "l", Fleet: f.Name, Region: f.Region, Groups: map[string]*state.Group{}}
	if r.IntN(3) == 0 {
		return st
	}
	p := Compute(f, st)
	for _, c := range p.Calls() {
		switch r.IntN(4) {
		case 0:
			applyCall(st, c)
		case 1:
			status := state.StatusPending
			if r.IntN(2) == 0 {
				status = state.StatusFailed
			}
			st.Apply(state.JournalRecord{Group: c.Group, Batch: &state.Batch{Seq: c.Seq, Kind: state.KindRun,
				ClientToken: c.ClientToken, GoodsNum: c.GoodsNum, Params: c.Params, Status: status}})
		}
	}
	for _, sg := range st.Groups {
		for _, in := range sg.Instances {
			if r.IntN(10) == 0 {
				in.Status = state.InstanceReturned
			}
		}
	}
	return st
}

// TestPropertyApplyThenPlanIsEmpty checks, for random fleets and states, that applying every
// call of a plan (each bought in full) and planning again gives a plan without calls, and
// that the tokens of the plan are valid and unique.
func TestPropertyApplyThenPlanIsEmpty(t *testing.T) {
	for seed := range uint64(300) {
		r := rand.New(rand.NewPCG(seed, 7))
		f := randomFleet(r)
		st := randomState(r, f)
		p := Compute(f, st)
		tokens := map[string]bool{}
		for _, c := range p.Calls() {
			if !ValidToken(c.ClientToken) {
				t.Fatalf("seed %d: invalid token %q", seed, c.ClientToken)
			}
			if tokens[c.ClientToken] {
				t.Fatalf("seed %d: token %q used twice", seed, c.ClientToken)
			}
			tokens[c.ClientToken] = true
			if c.GoodsNum < 1 || c.GoodsNum > MaxGoodsPerCall {
				t.Fatalf("seed %d: call of %d instances", seed, c.GoodsNum)
			}
			applyCall(st, c)
		}
		again := Compute(f, st)
		if again.HasChanges() {
			for _, g := range again.Groups {
				if len(g.Calls) > 0 {
					t.Fatalf("seed %d: group %s still has %d calls after apply (desired %d, current %d, pending %d)",
						seed, g.Name, len(g.Calls), g.Desired, g.Current, g.Pending)
				}
			}
		}
		for _, g := range again.Groups {
			if g.Current < g.Desired {
				t.Fatalf("seed %d: group %s has %d instances after apply, want at least %d", seed, g.Name, g.Current, g.Desired)
			}
		}
	}
}

// TestTokenProperties checks that tokens are pure, sensitive to every input, and well formed.
func TestTokenProperties(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	str := func() string {
		const alphabet = "abcXYZ019-_[]\"= .\x00é"
		b := make([]rune, r.IntN(80))
		for i := range b {
			b[i] = []rune(alphabet)[r.IntN(len([]rune(alphabet)))]
		}
		return string(b)
	}
	type in struct {
		fleet, region, group string
		project, seq         int
		params               map[string]string
	}
	token := func(x in) string { return Token(x.fleet, x.region, x.project, x.group, x.seq, x.params) }
	for i := range 2000 {
		x := in{str(), str(), str(), r.IntN(1 << 20), r.IntN(1 << 30), map[string]string{}}
		for range r.IntN(5) {
			x.params[str()] = str()
		}
		tok := token(x)
		if !ValidToken(tok) {
			t.Fatalf("case %d: token %q is not 1..64 characters of [a-z0-9-]", i, tok)
		}
		clone := x
		clone.params = map[string]string{}
		for k, v := range x.params {
			clone.params[k] = v
		}
		clone.params["clientToken"] = "ignored"
		if got := token(clone); got != tok {
			t.Fatalf("case %d: same inputs gave %q and %q", i, tok, got)
		}
		changes := []func(*in){
			func(y *in) { y.fleet += "x" },
			func(y *in) { y.region += "x" },
			func(y *in) { y.group += "x" },
			func(y *in) { y.project++ },
			func(y *in) { y.seq++ },
			func(y *in) { y.params = map[string]string{"extra": ""} },
			// Moving a byte across a field boundary keeps the concatenation the same.
			func(y *in) {
				if y.region == "" {
					y.fleet += "a"
					return
				}
				y.fleet, y.region = x.fleet+x.region[:1], x.region[1:]
			},
		}
		if len(x.params) > 0 {
			changes = append(changes, func(y *in) {
				y.params = map[string]string{}
				for k, v := range x.params {
					y.params[k] = v + "x"
				}
			})
		}
		for j, change := range changes {
			y := x
			change(&y)
			if got := token(y); got == tok {
				t.Fatalf("case %d: change %d kept token %q", i, j, tok)
			}
		}
	}
}

func TestTokenShape(t *testing.T) {
	for _, tc := range []struct {
		group string
		seq   int
		want  string
	}{
		{"web", 0, "web-0-"},
		{"web[eu-1]", 12, "web-eu-1-12-"},
		{"A Very Long Group Name Beyond Sixteen", 3, "a-very-long-grou-3-"},
		{"___", 1, "g-1-"},
	} {
		tok := Token("prod", "ap-guangzhou", 0, tc.group, tc.seq, nil)
		if len(tok) != len(tc.want)+tokenHashLen || tok[:len(tc.want)] != tc.want {
			t.Errorf("Token(%q, %d) = %q, want prefix %q and %d hash characters", tc.group, tc.seq, tok, tc.want, tokenHashLen)
		}
	}
	long := Token("prod", "r", 0, "zzzzzzzzzzzzzzzzzzzzzzzz", -1<<62, nil)
	if !ValidToken(long) {
		t.Errorf("token %q (%d characters) is not valid", long, len(long))
	}
}

// TestPropertyRenameBuysNothing checks, for random fleets bought in full (some with a call
// still pending), that renaming every group with moved blocks (some by a chain of two, some
// to a for_each key) gives a valid plan that buys nothing new, moves every group, leaves the
// state it was given alone, and that after the moves are applied the same spec plans no
// change: the moved blocks whose from is gone are no-ops.
func TestPropertyRenameBuysNothing(t *testing.T) {
	for seed := range uint64(200) {
		r := rand.New(rand.NewPCG(seed, 11))
		f := randomFleet(r)
		st := &state.State{Lineage: "l", Fleet: f.Name, Region: f.Region, Groups: map[string]*state.Group{}}
		pending := map[string]bool{}
		for _, c := range Compute(f, st).Calls() {
			if r.IntN(8) == 0 {
				st.Apply(state.JournalRecord{Group: c.Group, Batch: &state.Batch{Seq: c.Seq, Kind: state.KindRun,
					ClientToken: c.ClientToken, Marker: c.Marker, GoodsNum: c.GoodsNum, Params: c.Params, Status: state.StatusPending}})
				pending[c.Group] = true
				continue
			}
			applyCall(st, c)
		}
		before, err := json.Marshal(st)
		if err != nil {
			t.Fatal(err)
		}

		renamed := testFleet()
		tokens := map[string]string{} // pending token -> new group
		for i, g := range f.Groups {
			ng := *g
			switch i % 3 {
			case 0:
				ng.Name = "renamed-" + g.Name
				renamed.Moved = append(renamed.Moved, spec.Moved{From: g.Name, To: ng.Name})
			case 1:
				ng.Name = "split[" + g.Name + "]"
				renamed.Moved = append(renamed.Moved, spec.Moved{From: g.Name, To: ng.Name})
			default:
				ng.Name = "final-" + g.Name
				mid := "mid-" + g.Name
				renamed.Moved = append(renamed.Moved, spec.Moved{From: mid, To: ng.Name}, spec.Moved{From: g.Name, To: mid})
			}
			ng.Config.InstanceName = ng.Name
			renamed.Groups = append(renamed.Groups, &ng)
			if sg := st.Groups[g.Name]; sg != nil {
				for _, b := range sg.PendingBatches() {
					tokens[b.ClientToken] = ng.Name
				}
			}
		}
		sort.Slice(renamed.Groups, func(i, j int) bool { return renamed.Groups[i].Name < renamed.Groups[j].Name })

		p := Compute(renamed, st)
		if !p.Applyable() {
			t.Fatalf("seed %d: plan not applyable: %v", seed, p.Diagnostics)
		}
		for _, g := range p.Groups {
			if g.Action == ActionOrphan {
				t.Errorf("seed %d: group %s left as an orphan", seed, g.Name)
			}
			if st.Groups[g.MovedFrom] == nil && g.MovedFrom != "" {
				t.Errorf("seed %d: group %s moved from %s, which the state does not record", seed, g.Name, g.MovedFrom)
			}
			for _, c := range g.Calls {
				if !c.Resume {
					t.Errorf("seed %d: group %s buys %d instances after a rename", seed, g.Name, c.GoodsNum)
				} else if tokens[c.ClientToken] != g.Name {
					t.Errorf("seed %d: group %s resumes token %s, recorded for another group", seed, g.Name, c.ClientToken)
				}
			}
		}
		after, err := json.Marshal(st)
		if err != nil {
			t.Fatal(err)
		}
		if string(before) != string(after) {
			t.Fatalf("seed %d: Compute changed the state it was given", seed)
		}

		// Apply the moves, resolve the pending calls as bought, and plan again.
		if _, err := p.Refactor(st); err != nil {
			t.Fatalf("seed %d: refactor: %v", seed, err)
		}
		for _, c := range p.Calls() {
			applyCall(st, c)
		}
		p2 := Compute(renamed, st)
		if p2.HasChanges() || !p2.Applyable() {
			t.Errorf("seed %d: after the moves the plan still has changes (%d calls) or errors %v", seed, len(p2.Calls()), p2.Diagnostics)
		}
	}
}
