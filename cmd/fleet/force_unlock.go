package main

import (
	"errors"
	"fmt"

	"fleet/internal/state"
	"fleet/internal/workflow"

	"github.com/spf13/cobra"
)

func init() {
	register(func(g *globals) *cobra.Command {
		return &cobra.Command{
			Use:   "force-unlock [DIR]",
			Short: "Remove a lock left by a dead process, after checking it is dead",
			Long: `Force-unlock removes the lock of the state (DIR/fleet.state.json, --state, or the
PostgreSQL store of the spec's backend block) when the process recorded as its holder is
gone. It refuses while that process is alive on this host, and when it runs on another host,
where fleet cannot check it. A lock normally dies with its process (a PostgreSQL lock with
its database session); this is for a lock kept by a descriptor or a session that outlived
it.`,
			Args: cobra.MaximumNArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				return g.withStore(specDir(args), func(env workflow.Env) error {
					err := workflow.ForceUnlock(cmd.Context(), env)
					if errors.Is(err, state.ErrNotLocked) {
						fmt.Fprintf(cmd.OutOrStdout(), "The state %s is not locked.\n", env.Store.Where())
						return nil
					}
					if err != nil {
						return err
					}
					fmt.Fprintf(cmd.OutOrStdout(), "Removed the lock of %s.\n", env.Store.Where())
					return nil
				})
			},
		}
	})
}
