package main

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// version and commit are set by the linker (see the Makefile).
var (
	version = "dev"
	commit  = ""
)

func init() {
	register(func(g *globals) *cobra.Command {
		return &cobra.Command{
			Use:   "version",
			Short: "Print the version, commit and Go version",
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, args []string) error {
				c := commit
				if c == "" {
					c = "unknown"
					if bi, ok := debug.ReadBuildInfo(); ok {
						for _, s := range bi.Settings {
							if s.Key == "vcs.revision" {
								c = s.Value
							}
						}
					}
				}
				fmt.Fprintf(cmd.OutOrStdout(), "fleet %s\ncommit %s\n%s %s/%s\n", version, c, runtime.Version(), runtime.GOOS, runtime.GOARCH)
				return nil
			},
		}
	})
}
