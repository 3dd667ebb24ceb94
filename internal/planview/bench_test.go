package planview

import (
	"fmt"
	"io"
	"testing"

	"fleet/planner"
)

// benchPlan is a plan of n groups, every tenth buying 150 instances in two calls, the rest
// unchanged: the shape of a large fleet growing.
func benchPlan(n int) *planner.Plan {
	p := &planner.Plan{Fleet: "prod", Region: "ap-guangzhou", StateLineage: "l", StateSerial: 1}
	for i := range n {
		name := fmt.Sprintf("group-%05d", i)
		g := &planner.GroupPlan{Name: name, Action: planner.ActionNone, Desired: 10, Current: 10}
		if i%10 == 0 {
			g.Action, g.Desired, g.Purchase = planner.ActionPurchase, 160, 150
			g.Calls = []*planner.Call{call(name, 1, 100, false), call(name, 2, 50, false)}
			p.Summary.Purchase += 150
			p.Summary.Calls += 2
			p.Summary.InstanceMonths += 150 * 12
		}
		p.Groups = append(p.Groups, g)
	}
	return p
}

func BenchmarkRender20000(b *testing.B) {
	p := benchPlan(20000)
	for _, r := range []struct {
		name string
		f    func(io.Writer) error
	}{
		{"human", func(w io.Writer) error { return Human(w, p, nil, false) }},
		{"json", func(w io.Writer) error { return JSON(w, p) }},
		{"markdown", func(w io.Writer) error { return Markdown(w, p) }},
	} {
		b.Run(r.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := r.f(io.Discard); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
