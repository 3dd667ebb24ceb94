package workflow

import (
	"context"
	"fmt"

	"fleet/executor"
	"fleet/internal/state"
	"fleet/planner"
)

// guard keeps an empty or partial state from being taken as a licence to buy: before the
// plan buys for a group the state does not know, it looks the fleet up by its marker, and
// returns an error (matching executor.ErrUnrecordedInstances) when instances of the fleet
// exist that the state does not record. A lookup that fails stops the apply too: buying
// blind is what the check is there to prevent.
func guard(ctx context.Context, c executor.Lister, p *planner.Plan, st *state.State) error {
	r, err := executor.CheckEmptyState(ctx, c, p, st)
	if err != nil {
		return fmt.Errorf("%w; nothing was bought", err)
	}
	return r.Err()
}
