package main

import (
	"testing"

	"fleet/planner"
	"fleet/spec"
)

// TestGeneratedFleetIsInPlace checks both modes on a small fleet: the spec is valid, and
// planning it against the generated state gives no calls and no diagnostics.
func TestGeneratedFleetIsInPlace(t *testing.T) {
	for _, mode := range []string{"full", "count"} {
		files, err := Spec(mode, 1203, 3)
		if err != nil {
			t.Fatal(err)
		}
		if len(files) != 3 {
			t.Errorf("%s: %d files, want main and two of groups", mode, len(files))
		}
		st, err := State(files)
		if err != nil {
			t.Fatalf("%s: %v", mode, err)
		}
		if got := st.InstanceCount(); got != 1203*3 {
			t.Errorf("%s: state holds %d instances, want %d", mode, got, 1203*3)
		}
		f, diags := spec.Load(files, spec.Inputs{})
		if len(diags) != 0 {
			t.Fatalf("%s: diagnostics: %v", mode, diags)
		}
		p := planner.Compute(f, st)
		if p.HasChanges() || len(p.Diagnostics) != 0 || len(p.Groups) != 1203 {
			t.Errorf("%s: plan has changes=%v, %d diagnostics, %d groups; want a steady state of 1203 groups",
				mode, p.HasChanges(), len(p.Diagnostics), len(p.Groups))
		}
	}
}
