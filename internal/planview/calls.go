package planview

import (
	"fmt"

	"fleet/planner"
)

// maxCallLines is the most new calls of a group shown one per line; more are shown as one
// run, so that a group of hundreds of private IPs stays readable. JSON lists every call.
const maxCallLines = 5

// callRun is a run of new calls shown together.
type callRun struct {
	first, last *planner.Call
	calls       int
	instances   int
	perIP       bool // one call per private IP
}

// text describes the run: "calls 0 … 99: 100 calls of 1 instance, one per private IP:
// 10.0.0.1 … 10.0.0.100".
func (r *callRun) text() string {
	head := fmt.Sprintf("calls %d … %d: ", r.first.Seq, r.last.Seq)
	if r.perIP {
		return head + fmt.Sprintf("%s of 1 instance, one per private IP: %s … %s", count(r.calls, "call"),
			r.first.Params["privateIpAddresses.0"], r.last.Params["privateIpAddresses.0"])
	}
	return head + fmt.Sprintf("%s of at most %d instances, %s in all", count(r.calls, "call"),
		planner.MaxGoodsPerCall, count(r.instances, "instance"))
}

// callShown is one line of a group's calls: a call, or a run of them.
type callShown struct {
	call *planner.Call
	run  *callRun
}

// compactCalls returns the calls as shown: each resumed call on its own, and the new calls
// one by one when there are at most maxCallLines of them, else as one run.
func compactCalls(calls []*planner.Call) []callShown {
	var out []callShown
	var fresh []*planner.Call
	for _, c := range calls {
		if c.Resume {
			out = append(out, callShown{call: c})
		} else {
			fresh = append(fresh, c)
		}
	}
	if len(fresh) <= maxCallLines {
		for _, c := range fresh {
			out = append(out, callShown{call: c})
		}
		return out
	}
	r := &callRun{first: fresh[0], last: fresh[len(fresh)-1], calls: len(fresh), perIP: true}
	for _, c := range fresh {
		r.instances += c.GoodsNum
		if c.GoodsNum != 1 || c.Params["privateIpAddresses.0"] == "" {
			r.perIP = false
		}
	}
	return append(out, callShown{run: r})
}
