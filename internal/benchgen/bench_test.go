package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"fleet/internal/planview"
	"fleet/internal/state"
	"fleet/planner"
	"fleet/spec"
)

// BenchmarkPlanPhases measures each phase of `fleet plan` on the CI steady state (every
// instance bought, 10 a group), for the full and the count-only spec: loading the spec,
// reading the state, planning and rendering. Set BENCH_GROUPS to change the size.
func BenchmarkPlanPhases(b *testing.B) {
	n := 2000
	if s := os.Getenv("BENCH_GROUPS"); s != "" {
		fmt.Sscan(s, &n)
	}
	for _, mode := range []string{"full", "count"} {
		dir := b.TempDir()
		if err := run(dir, mode, n, 10); err != nil {
			b.Fatal(err)
		}
		files, err := Spec(mode, n, 10)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("%s/groups=%d", mode, n), func(b *testing.B) {
			var load, read, plan, render time.Duration
			for b.Loop() {
				t0 := time.Now()
				f, diags := spec.Load(files, spec.Inputs{})
				t1 := time.Now()
				st, err := state.Read(filepath.Join(dir, "fleet.state.json"))
				if err != nil || diags.HasErrors() {
					b.Fatal(err, diags)
				}
				t2 := time.Now()
				p := planner.Compute(f, st)
				t3 := time.Now()
				if err := planview.Human(io.Discard, p, nil, false); err != nil {
					b.Fatal(err)
				}
				t4 := time.Now()
				if p.HasChanges() {
					b.Fatal("steady state has changes")
				}
				load += t1.Sub(t0)
				read += t2.Sub(t1)
				plan += t3.Sub(t2)
				render += t4.Sub(t3)
			}
			per := func(d time.Duration) float64 { return float64(d.Milliseconds()) / float64(b.N) }
			b.ReportMetric(per(load), "load-ms")
			b.ReportMetric(per(read), "state-ms")
			b.ReportMetric(per(plan), "plan-ms")
			b.ReportMetric(per(render), "render-ms")
		})
	}
}
