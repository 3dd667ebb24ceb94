package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"fleet/internal/planview"
	"fleet/planner"
)

func init() {
	register(func(g *globals) *cobra.Command {
		var asJSON bool
		cmd := &cobra.Command{
			Use:   "show [--json] PLANFILE",
			Short: "Print a saved plan",
			Long: `Show prints a plan saved by "fleet plan --out FILE", as plan prints it. A plan file
that is truncated, altered or of a newer format is refused.`,
			Args: cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				b, err := os.ReadFile(args[0])
				if err != nil {
					return fmt.Errorf("read plan: %w", err)
				}
				pf, err := planner.DecodeFile(b)
				if err != nil {
					return fmt.Errorf("%s: %w", args[0], err)
				}
				out := cmd.OutOrStdout()
				if asJSON {
					err = planview.JSON(out, pf.Plan)
				} else {
					err = planview.Human(out, pf.Plan, nil, wantColor(out))
				}
				if err != nil {
					return fmt.Errorf("write plan: %w", err)
				}
				return nil
			},
		}
		cmd.Flags().BoolVar(&asJSON, "json", false, "print the plan as a JSON document")
		return cmd
	})
}
