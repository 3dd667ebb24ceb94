package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"fleet/internal/diagview"
	"fleet/internal/state"
	"fleet/internal/workflow"
	"fleet/spec"
)

// stateMvCmd returns `fleet state mv`.
func stateMvCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "mv FROM TO",
		Short: "Rename a group's record in the state (nothing is bought or returned)",
		Long: `Mv renames the record of group FROM to TO under the state lock: its calls keep their
recorded client tokens and instance-name markers, so a spec that renames the group plans
nothing for it. TO must not be recorded already. The change is kept as a version of the
state (fleet state history).`,
		Args:              cobra.ExactArgs(2),
		ValidArgsFunction: completeGroups(g),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withStore(g.chdir(), func(env workflow.Env) error {
				st, err := workflow.StateMv(cmd.Context(), env, args[0], args[1])
				if err != nil {
					return err
				}
				n := len(st.Groups[args[1]].Instances)
				fmt.Fprintf(cmd.OutOrStdout(), "Moved group %s to %s in %s (serial %d): %s, nothing bought or returned.\n", args[0], args[1], env.Store.Where(), st.Serial, countNoun(n, "instance"))
				return nil
			})
		},
	}
}

// completeGroups completes group names from the state of the current spec directory.
func completeGroups(g *globals) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return func(cmd *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		store, err := g.storeOf(g.chdir())
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		defer store.Close()
		st, err := store.Read(context.Background())
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return st.GroupNames(), cobra.ShellCompDirectiveNoFileComp
	}
}

// statePushCmd returns `fleet state push`.
func statePushCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "push FILE",
		Short: "Load a state file into the configured store",
		Long: `Push reads a state file (as written by fleet, or by "fleet state pull") and saves it as
the state of the spec's store, under its lock: the way to move a fleet's local state into
PostgreSQL. It is refused when the store already holds a state of another lineage, or a
later serial, since that would lose the record of purchases; and while the store has
journal records of an interrupted apply.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := state.Read(args[0])
			if err != nil {
				return fmt.Errorf("state push: %w", err)
			}
			if st.Journaled > 0 {
				return fmt.Errorf("state push: %s has a journal of an interrupted apply beside it (%s); run \"fleet apply\" where it was made, or fold it with any command that writes it, first", args[0], countNoun(st.Journaled, "record"))
			}
			return g.withStore(g.chdir(), func(env workflow.Env) error {
				if fs, ok := env.Store.(*state.FileStore); ok && samePath(fs.Path(), args[0]) {
					return fmt.Errorf("state push: %s is the state file of this spec already", args[0])
				}
				if err := workflow.StatePush(cmd.Context(), env, st); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "Pushed %s to %s (serial %d, lineage %s): %s in %s.\n", args[0], env.Store.Where(), st.Serial, st.Lineage,
					countNoun(st.InstanceCount(), "instance"), countNoun(len(st.Groups), "group"))
				return nil
			})
		},
	}
}

// samePath reports whether two paths name one file.
func samePath(a, b string) bool {
	ai, err1 := os.Stat(a)
	bi, err2 := os.Stat(b)
	if err1 == nil && err2 == nil {
		return os.SameFile(ai, bi)
	}
	aa, _ := filepath.Abs(a)
	ba, _ := filepath.Abs(b)
	return aa == ba
}

// statePullCmd returns `fleet state pull`.
func statePullCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "pull [DIR]",
		Short: "Print the state as a state file",
		Long: `Pull prints the state of the spec's store (its journal replayed) on stdout in the state
file format, for a backup or to move it with "fleet state push".`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withStore(specDir(args), func(env workflow.Env) error {
				st, err := workflow.StatePull(cmd.Context(), env)
				if err != nil {
					return err
				}
				data, err := state.Encode(st)
				if err != nil {
					return err
				}
				_, err = cmd.OutOrStdout().Write(data)
				return err
			})
		},
	}
}

// stateHistoryCmd returns `fleet state history`.
func stateHistoryCmd(g *globals) *cobra.Command {
	var asJSON bool
	var limit int
	cmd := &cobra.Command{
		Use:   "history [DIR]",
		Short: "List the state's versions, newest first",
		Long: `History lists every recorded change of the state, newest first: serial, time, who and
where, the command and a one-line summary.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withStore(specDir(args), func(env workflow.Env) error {
				versions, err := workflow.History(cmd.Context(), env, limit)
				if err != nil {
					return err
				}
				if asJSON {
					return writeJSON(cmd.OutOrStdout(), "state history", struct {
						FormatVersion string          `json:"format_version"`
						Versions      []state.Version `json:"versions"`
					}{"1.0", versions})
				}
				return printHistory(cmd.OutOrStdout(), env.Store.Where(), versions)
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the versions as JSON")
	cmd.Flags().IntVar(&limit, "limit", 0, "show at most N versions (0: all)")
	return cmd
}

func printHistory(w io.Writer, where string, versions []state.Version) error {
	if len(versions) == 0 {
		_, err := fmt.Fprintf(w, "No versions recorded in %s.\n", where)
		return err
	}
	fmt.Fprintf(w, "Versions of %s, newest first:\n\n", where)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SERIAL\tTIME\tWHO\tOPERATION\tSUMMARY")
	for _, v := range versions {
		who := v.Who
		if v.Host != "" {
			who += "@" + v.Host
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", v.Serial, stateTime(v.Time), who, v.Operation, v.Summary)
	}
	return tw.Flush()
}

// stateRecoverCmd returns `fleet state recover`.
func stateRecoverCmd(g *globals) *cobra.Command {
	var rate float64
	cmd := &cobra.Command{
		Use:   "recover [DIR]",
		Short: "Rebuild a lost state from the instances that carry the fleet's marker",
		Long: `Recover rebuilds the record of a fleet whose state was lost (a deleted file, the wrong
database, a fresh CI runner) without buying anything. Every instance fleet buys carries in
its name a marker with a part common to the whole fleet: recover lists them all with
DescribeInstances, under the state lock, and adopts those the state does not record into the
group their marker (or their name) tells, one batch per call. Instances whose group cannot
be told are listed and left for "fleet import". Run it when apply or plan reports
unrecorded instances of the fleet; then plan again.

Credentials: TENCENTCLOUD_SECRET_ID, TENCENTCLOUD_SECRET_KEY and optionally
TENCENTCLOUD_SECURITY_TOKEN; FLEET_ENDPOINT sets the API entry.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkRate(rate); err != nil {
				return err
			}
			cfg, err := cloudConfig()
			if err != nil {
				return err
			}
			dir := specDir(args)
			files, in, err := g.readSpec(dir)
			if err != nil {
				return err
			}
			fleet, diags := spec.Load(files, in)
			errOut := cmd.ErrOrStderr()
			if fleet == nil || diags.HasErrors() {
				_ = diagview.Human(errOut, diags, specSources(files), wantColor(errOut))
				return fmt.Errorf("state recover: the spec of %s has errors; fix them first (nothing was changed)", dir)
			}
			store, err := g.openStore(dir, fleet)
			if err != nil {
				return err
			}
			defer store.Close()
			res, err := workflow.Recover(cmd.Context(), g.env(store, &cfg, rate), fleet)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "Found %s of fleet %s by its marker; %d already recorded.\n", countNoun(res.Found, "instance"), fleet.Name, res.Recorded)
			for _, name := range slices.Sorted(maps.Keys(res.Adopted)) {
				ids := res.Adopted[name]
				fmt.Fprintf(out, "  %s: adopted %s: %s\n", name, countNoun(len(ids), "instance"), strings.Join(ids, ", "))
			}
			for _, in := range res.Unattributed {
				fmt.Fprintf(errOut, "Warning: %s (%q) carries the fleet's marker but no group of the spec claims it: adopt it with \"fleet import GROUP %s\".\n", in.ID, in.Name, in.ID)
			}
			if res.Written {
				fmt.Fprintf(out, "Adopted %s. State saved to %s (serial %d).\n", countNoun(res.Instances(), "instance"), store.Where(), res.Serial)
			} else {
				fmt.Fprintln(out, "Nothing to adopt; the state was not written.")
			}
			return nil
		},
	}
	rateFlag(cmd.Flags(), &rate)
	return cmd
}
