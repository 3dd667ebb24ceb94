package main

import (
	"strconv"

	"github.com/rogpeppe/go-internal/testscript"

	"fleet/internal/state"
	"fleet/planner"
)

// The script commands of the refresh and import scripts:
//
//	sim-ids PREFIX [NAME]       sets PREFIX0, PREFIX1, ... to the ids of the instances the
//	                            simulator sold (named NAME, or NAME and a marker, when given),
//	                            in order of purchase
//	sim-set-status ID STATUS    sets an instance's status in the simulator, e.g. 5 (returned)
//	state-status PATH ID STATUS the state (journal replayed) records the instance with STATUS;
//	                            with !, it does not record the instance at all
func init() {
	scriptCmds["sim-ids"] = cmdSimIDs
	scriptCmds["sim-set-status"] = cmdSimSetStatus
	scriptCmds["state-status"] = cmdStateStatus
}

func cmdSimIDs(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 || len(args) > 2 {
		ts.Fatalf("usage: sim-ids PREFIX [NAME]")
	}
	n := 0
	for _, in := range simOf(ts).sim.Instances() {
		if base, _, marked := planner.SplitMarker(in.Name); len(args) == 2 && in.Name != args[1] && !(marked && base == args[1]) {
			continue
		}
		ts.Setenv(args[0]+strconv.Itoa(n), in.ID)
		n++
	}
	ts.Logf("%d instance ids in %s0...", n, args[0])
}

func cmdSimSetStatus(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: sim-set-status ID STATUS")
	}
	status, err := strconv.Atoi(args[1])
	ts.Check(err)
	ts.Check(simOf(ts).sim.SetStatus(args[0], status))
}

func cmdStateStatus(ts *testscript.TestScript, neg bool, args []string) {
	if neg && len(args) == 2 || !neg && len(args) == 3 {
		st, err := state.Read(ts.MkAbs(args[0]))
		ts.Check(err)
		group, ok := st.InstanceGroup(args[1])
		if neg {
			if ok {
				ts.Fatalf("the state records %s in group %s, want it not recorded", args[1], group)
			}
			return
		}
		if !ok {
			ts.Fatalf("the state does not record %s", args[1])
		}
		want, err := strconv.Atoi(args[2])
		ts.Check(err)
		if got := st.Groups[group].Instance(args[1]).Status; got != want {
			ts.Fatalf("the state records %s with status %d, want %d", args[1], got, want)
		}
		return
	}
	ts.Fatalf("usage: state-status PATH ID STATUS | ! state-status PATH ID")
}
