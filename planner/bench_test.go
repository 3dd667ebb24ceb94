package planner

import (
	"fmt"
	"testing"

	"fleet/internal/state"
	"fleet/spec"
)

// benchFleet returns n groups of per instances each and a state in which all are bought.
func benchFleet(n, per int) (*spec.Fleet, *state.State) {
	f := testFleet()
	for i := range n {
		f.Groups = append(f.Groups, testGroup(fmt.Sprintf("g%06d", i), per))
	}
	st := &state.State{Lineage: "l", Fleet: f.Name, Region: f.Region, Groups: map[string]*state.Group{}}
	for _, c := range Compute(f, st).Calls() {
		applyCall(st, c)
	}
	return f, st
}

// BenchmarkCompute plans the CI steady state (every instance bought) for 2,000 and 20,000
// groups of 10 instances; the time per group should not grow with the fleet.
func BenchmarkCompute(b *testing.B) {
	for _, n := range []int{2000, 20000} {
		f, st := benchFleet(n, 10)
		b.Run(fmt.Sprintf("groups=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if p := Compute(f, st); p.HasChanges() {
					b.Fatal("steady state has changes")
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/group")
		})
	}
}
