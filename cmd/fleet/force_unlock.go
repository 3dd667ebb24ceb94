package main

import (
	"errors"
	"fmt"

	"fleet/internal/state"

	"github.com/spf13/cobra"
)

func init() {
	register(func(g *globals) *cobra.Command {
		return &cobra.Command{
			Use:   "force-unlock [DIR]",
			Short: "Remove a lock left by a dead process, after checking it is dead",
			Long: `Force-unlock removes the lock of the state (DIR/fleet.state.json, or --state) when the
process recorded as its holder is gone. It refuses while that process is alive on this host,
and when it runs on another host, where fleet cannot check it. A lock normally dies with its
process; this is for a lock kept by a descriptor that outlived it.`,
			Args: cobra.MaximumNArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				path := g.statePathFor(specDir(args))
				err := state.ForceUnlock(path)
				if errors.Is(err, state.ErrNotLocked) {
					fmt.Fprintf(cmd.OutOrStdout(), "The state %s is not locked.\n", path)
					return nil
				}
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "Removed the lock of %s.\n", path)
				return nil
			},
		}
	})
}
