package main

import (
	"strconv"

	"github.com/rogpeppe/go-internal/testscript"
)

// The script commands of keeping a fleet:
//
//	sim-renewals N        every instance the simulator sold was renewed by RenewInstance
//	                      exactly N times
//	sim-flags FLAG N      exactly N instances have the renew flag FLAG (0, 1 or 2)
func init() {
	scriptCmds["sim-renewals"] = cmdSimRenewals
	scriptCmds["sim-flags"] = cmdSimFlags
}

func cmdSimRenewals(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: sim-renewals N")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	sim := simOf(ts).sim
	for _, in := range sim.Instances() {
		if got := sim.RenewalCount(in.ID); got != want {
			ts.Fatalf("instance %s was renewed %d times, want %d", in.ID, got, want)
		}
	}
}

func cmdSimFlags(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: sim-flags FLAG N")
	}
	flag, err := strconv.Atoi(args[0])
	ts.Check(err)
	want, err := strconv.Atoi(args[1])
	ts.Check(err)
	got := 0
	for _, in := range simOf(ts).sim.Instances() {
		if in.AutoRenew == flag {
			got++
		}
	}
	if got != want {
		ts.Fatalf("%d instances have the renew flag %d, want %d", got, flag, want)
	}
}
