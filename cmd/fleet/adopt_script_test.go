package main

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"fleet/internal/planview"
)

// The script commands of the adoption and price scripts:
//
//	sim-faults BUSY DROP     sets the simulator's shares of busy answers and dropped answers
//	sim-wait-count N         waits (up to 10s) until the simulator has sold N instances
//	sim-requests ACTION N    the simulator served exactly N requests of ACTION
//	plan-price-check FILE    the plan JSON document in FILE prices every group and the total
//	                         as the simulator's own price table does
func init() {
	scriptCmds["sim-faults"] = cmdSimFaults
	scriptCmds["sim-wait-count"] = cmdSimWaitCount
	scriptCmds["sim-requests"] = cmdSimRequests
	scriptCmds["plan-price-check"] = cmdPlanPriceCheck
}

func cmdSimFaults(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: sim-faults BUSY DROP [ACTION...]")
	}
	busy, err := strconv.ParseFloat(args[0], 64)
	ts.Check(err)
	drop, err := strconv.ParseFloat(args[1], 64)
	ts.Check(err)
	ts.Check(simOf(ts).sim.SetFaults(busy, drop, args[2:]...))
}

func cmdSimWaitCount(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: sim-wait-count N")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	sim := simOf(ts).sim
	for deadline := time.Now().Add(10 * time.Second); ; {
		got := len(sim.Instances())
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			ts.Fatalf("the simulator sold %d instances, want %d", got, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func cmdSimRequests(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: sim-requests ACTION N")
	}
	want, err := strconv.Atoi(args[1])
	ts.Check(err)
	got := simOf(ts).sim.RequestCount(args[0])
	if (got == want) == neg {
		ts.Fatalf("the simulator served %d %s requests, want %s%d", got, args[0], map[bool]string{true: "not ", false: ""}[neg], want)
	}
}

func cmdPlanPriceCheck(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: plan-price-check FILE")
	}
	var doc planview.Document
	ts.Check(json.Unmarshal([]byte(ts.ReadFile(args[0])), &doc))
	sim := simOf(ts).sim
	var total int64
	for _, g := range doc.Groups {
		var want int64
		for _, c := range g.Calls {
			fen, err := sim.Price(doc.Region, c.Params)
			ts.Check(err)
			want += fen
		}
		if g.PriceFen == nil || *g.PriceFen != want {
			ts.Fatalf("group %s: price_fen %v, the simulator's table says %d", g.Name, g.PriceFen, want)
		}
		total += want
	}
	if doc.Summary.PriceFen == nil || *doc.Summary.PriceFen != total {
		ts.Fatalf("summary price_fen %v, the simulator's table says %d", doc.Summary.PriceFen, total)
	}
	ts.Logf("prices match the simulator's table: %d fen in all", total)
}
