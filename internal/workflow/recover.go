package workflow

import (
	"context"
	"fmt"

	"fleet/executor"
	"fleet/internal/state"
	"fleet/planner"
	"fleet/spec"
)

// RecoverResult is what Recover adopted.
type RecoverResult struct {
	executor.RecoverReport
	Found   int    // instances of the fleet found by its marker
	Written bool   // the state was saved
	Serial  uint64 // its serial then
}

// Recover rebuilds the record of a fleet whose state was lost (a deleted file, the wrong
// database, a fresh runner), or that lost part of its record: under the lock it lists
// every instance that carries the fleet's marker and adopts those the state does not record
// into the group their marker or name tells, one batch per call marker, without buying
// anything. Instances whose group cannot be told are reported, not adopted.
func Recover(ctx context.Context, env Env, f *spec.Fleet) (*RecoverResult, error) {
	var out *RecoverResult
	err := locked(ctx, env, "state recover", func() error {
		st, err := readState(ctx, env.Store)
		if err != nil {
			return err
		}
		if st != nil && (st.Fleet != f.Name || st.Region != f.Region) {
			return fmt.Errorf("state recover: %s records fleet %q in %s, but the spec is fleet %q in %s", env.Store.Where(), st.Fleet, st.Region, f.Name, f.Region)
		}
		if st == nil {
			st = state.New(f.Name, f.Region)
		}
		c, err := env.client(f.Region)
		if err != nil {
			return err
		}
		found, err := executor.FindFleet(ctx, c, f.Name, f.Region)
		if err != nil {
			return fmt.Errorf("state recover: %w (nothing was changed)", err)
		}
		plan := planner.ComputeWith(f, st, planner.Options{At: env.now()})
		recs, report := executor.RecoverRecords(plan, st, found, env.now())
		out = &RecoverResult{RecoverReport: report, Found: len(found)}
		if len(recs) == 0 {
			out.Written, err = fold(ctx, env, st, "state recover")
			out.Serial = st.Serial
			return err
		}
		status := map[string]int{}
		for _, in := range found {
			status[in.ID] = in.Status
		}
		at := env.now().UTC()
		for _, r := range recs {
			st.Apply(r)
			g := st.Groups[r.Group]
			for _, id := range r.Batch.InstanceIDs {
				if in := g.Instance(id); in != nil && status[id] != 0 {
					t := at
					in.Status, in.StatusAt = status[id], &t
				}
			}
		}
		if err := env.Store.Write(ctx, st, state.Change{Operation: "state recover", Summary: fmt.Sprintf("adopted %s found by the fleet's marker", countNoun(report.Instances(), "instance"))}); err != nil {
			return err
		}
		out.Written, out.Serial = true, st.Serial
		return nil
	})
	return out, err
}
