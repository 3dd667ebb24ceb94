package planview

import (
	"fmt"

	"fleet/planner"
)

// maxCallLines is the most new calls of a group shown one per line; more are shown as one
// run, so that a group of hundreds of private IPs stays readable. JSON lists every call.
const maxCallLines = 5

// callRun is a run of new calls, or of resumed ones, shown together.
type callRun struct {
	first, last *planner.Call
	calls       int
	instances   int
	perIP       bool // one call per private IP
	resumed     bool // calls left pending by an earlier apply
}

// text describes the run: "calls 0 … 99: 100 calls of 1 instance, one per private IP:
// 10.0.0.1 … 10.0.0.100".
func (r *callRun) text() string {
	head := fmt.Sprintf("calls %d … %d: ", r.first.Seq, r.last.Seq)
	what := "call"
	tail := ""
	if r.resumed {
		what = "pending call"
		tail = "; each adopted if instances named by its marker exist, else resumed as recorded"
	}
	if r.perIP {
		return head + fmt.Sprintf("%s of 1 instance, one per private IP: %s … %s", count(r.calls, what),
			r.first.Params["privateIpAddresses.0"], r.last.Params["privateIpAddresses.0"]) + tail
	}
	return head + fmt.Sprintf("%s of at most %d instances, %s in all", count(r.calls, what),
		planner.MaxGoodsPerCall, count(r.instances, "instance")) + tail
}

// callShown is one line of a group's calls: a call, or a run of them.
type callShown struct {
	call *planner.Call
	run  *callRun
}

// compactCalls returns the calls as shown: the resumed calls, then the new ones, each one by
// one when there are at most maxCallLines of them, else as one run.
func compactCalls(calls []*planner.Call) []callShown {
	var resumed, fresh []*planner.Call
	for _, c := range calls {
		if c.Resume {
			resumed = append(resumed, c)
		} else {
			fresh = append(fresh, c)
		}
	}
	return append(runOf(resumed, true), runOf(fresh, false)...)
}

// runOf shows calls one by one, or as one run when there are more than maxCallLines.
func runOf(calls []*planner.Call, resumed bool) []callShown {
	if len(calls) <= maxCallLines {
		out := make([]callShown, 0, len(calls))
		for _, c := range calls {
			out = append(out, callShown{call: c})
		}
		return out
	}
	r := &callRun{first: calls[0], last: calls[len(calls)-1], calls: len(calls), perIP: true, resumed: resumed}
	for _, c := range calls {
		r.instances += c.GoodsNum
		if c.GoodsNum != 1 || c.Params["privateIpAddresses.0"] == "" {
			r.perIP = false
		}
	}
	return []callShown{{run: r}}
}
