package workflow

import (
	"context"
	"fmt"

	"fleet/executor"
	"fleet/internal/state"
)

// RefreshResult is what Refresh read and whether it saved the state.
type RefreshResult struct {
	*executor.RefreshResult
	State   *state.State
	Written bool
}

// Refresh reads the statuses of the recorded instances under the lock and writes the state
// when one changed.
func Refresh(ctx context.Context, env Env) (*RefreshResult, error) {
	var out *RefreshResult
	err := locked(ctx, env, "refresh", func() error {
		st, err := existing(ctx, env.Store)
		if err != nil {
			return fmt.Errorf("refresh: %w", err)
		}
		c, err := env.client(st.Region)
		if err != nil {
			return err
		}
		res, err := executor.Refresh(ctx, c, st, env.now())
		if err != nil {
			return fmt.Errorf("%w (the state was not written)", err)
		}
		out = &RefreshResult{RefreshResult: res, State: st}
		if res.Wrote() {
			if err := env.Store.Write(ctx, st, state.Change{Operation: "refresh", Summary: fmt.Sprintf("%d of %s changed", len(res.Changes), countNoun(res.Checked, "status"))}); err != nil {
				return err
			}
			out.Written = true
			return nil
		}
		out.Written, err = fold(ctx, env, st, "refresh")
		return err
	})
	return out, err
}
