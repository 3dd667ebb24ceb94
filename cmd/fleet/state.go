package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"fleet/executor"
	"fleet/internal/state"
	"fleet/internal/workflow"
	"fleet/spec"

	"github.com/spf13/cobra"
)

func init() {
	register(func(g *globals) *cobra.Command {
		cmd := &cobra.Command{
			Use:   "state",
			Short: "Read and edit the state",
			Long: `The state (DIR/fleet.state.json, or --state) records every purchase fleet made, call by
call, and the instances each one bought. "list" and "show" only read it (and replay a journal
left by an interrupted apply, without saving); "rm" takes the state lock and rewrites it.
A state that cannot be read is never overwritten.`,
			Args: cobra.NoArgs,
			RunE: func(cmd *cobra.Command, args []string) error {
				return cmd.Help()
			},
		}
		cmd.AddCommand(stateListCmd(g), stateShowCmd(g), stateRmCmd(g), stateMvCmd(g), statePushCmd(g), statePullCmd(g), stateHistoryCmd(g), stateRecoverCmd(g))
		return cmd
	})
}

// stateListCmd returns `fleet state list`.
func stateListCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list [DIR]",
		Short: "List the groups of the state with their counts",
		Long: `List prints one line per group of the state: instances recorded, those not known to be
gone, calls (batches), calls whose outcome is unknown (pending) and failed calls.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			store, err := g.storeOf(specDir(args))
			if err != nil {
				return err
			}
			defer store.Close()
			path := store.Where()
			st, err := store.Read(cmd.Context())
			if errors.Is(err, state.ErrNoState) {
				if asJSON {
					return writeJSON(cmd.OutOrStdout(), "state list", stateListJSON{FormatVersion: "1.0", Groups: []stateListGroup{}})
				}
				fmt.Fprintf(cmd.OutOrStdout(), "No state at %s: nothing has been bought or imported yet.\n", path)
				return nil
			}
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), "state list", stateListToJSON(st))
			}
			return statePrintList(cmd.OutOrStdout(), path, st)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the list as JSON")
	return cmd
}

// stateListJSON is the JSON form of `fleet state list --json`.
type stateListJSON struct {
	FormatVersion string           `json:"format_version"`
	Fleet         string           `json:"fleet"`
	Region        string           `json:"region"`
	Lineage       string           `json:"lineage"`
	Serial        uint64           `json:"serial"`
	Groups        []stateListGroup `json:"groups"`
}

// stateListGroup is one group's line of `fleet state list`.
type stateListGroup struct {
	Name      string `json:"name"`
	Instances int    `json:"instances"`
	Current   int    `json:"current"`
	Batches   int    `json:"batches"`
	Pending   int    `json:"pending"`
	Failed    int    `json:"failed"`
}

// stateGroupCounts counts a group's instances and batches.
func stateGroupCounts(name string, g *state.Group) stateListGroup {
	c := stateListGroup{Name: name, Instances: len(g.Instances), Current: g.Current(), Batches: len(g.Batches)}
	for _, b := range g.Batches {
		switch b.Status {
		case state.StatusPending:
			c.Pending++
		case state.StatusFailed:
			c.Failed++
		}
	}
	return c
}

// stateListToJSON returns the JSON form of the list of st's groups.
func stateListToJSON(st *state.State) stateListJSON {
	out := stateListJSON{FormatVersion: "1.0", Fleet: st.Fleet, Region: st.Region, Lineage: st.Lineage, Serial: st.Serial, Groups: []stateListGroup{}}
	for _, name := range st.GroupNames() {
		out.Groups = append(out.Groups, stateGroupCounts(name, st.Groups[name]))
	}
	return out
}

// statePrintList writes the groups of st as a table with a closing total.
func statePrintList(w io.Writer, path string, st *state.State) error {
	fmt.Fprintf(w, "Fleet %s in %s: state %s, serial %d, lineage %s\n", st.Fleet, st.Region, path, st.Serial, st.Lineage)
	names := st.GroupNames()
	if len(names) == 0 {
		_, err := fmt.Fprintln(w, "\nNo groups.")
		return err
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "GROUP\tINSTANCES\tCURRENT\tBATCHES\tPENDING\tFAILED")
	var total stateListGroup
	for _, name := range names {
		c := stateGroupCounts(name, st.Groups[name])
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\n", name, c.Instances, c.Current, c.Batches, c.Pending, c.Failed)
		total.Instances += c.Instances
		total.Current += c.Current
		total.Pending += c.Pending
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\n%s, %s (%d current)", countNoun(len(names), "group"), countNoun(total.Instances, "instance"), total.Current)
	if total.Pending > 0 {
		fmt.Fprintf(w, ", %s whose outcome is unknown: run \"fleet apply\" to resolve", countNoun(total.Pending, "pending call"))
	}
	_, err := fmt.Fprintln(w, ".")
	return err
}

// stateShowCmd returns `fleet state show`.
func stateShowCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "show GROUP",
		Short: "Show a group's calls and instances",
		Long: `Show prints every call (batch) recorded for the group, with its client token, status,
deals, instances, error and the exact parameters sent (secrets only as hashes), then the
group's instances with their last known status.`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: completeGroups(g),
		RunE: func(cmd *cobra.Command, args []string) error {
			store, err := g.storeOf(g.chdir())
			if err != nil {
				return err
			}
			defer store.Close()
			st, err := stateReadExisting(cmd.Context(), store)
			if err != nil {
				return err
			}
			name := args[0]
			grp, err := workflow.FindGroup(st, store.Where(), name)
			if err != nil {
				keys := forEachGroups(st, name)
				if len(keys) == 0 {
					return err
				}
				if asJSON {
					return fmt.Errorf("no group %q in %s: it is a for_each block; show one of its groups: %s", name, store.Where(), strings.Join(keys, ", "))
				}
				return statePrintForEach(cmd.OutOrStdout(), st, name, keys)
			}
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), "group "+name, stateShowJSON{FormatVersion: "1.0", Name: name, Group: grp})
			}
			return statePrintGroup(cmd.OutOrStdout(), st, name, grp)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the group's record as JSON")
	return cmd
}

// forEachGroups returns the groups name[KEY] of a for_each block called name, sorted.
func forEachGroups(st *state.State, name string) []string {
	var keys []string
	for _, n := range st.GroupNames() {
		if strings.HasPrefix(n, name+"[") && strings.HasSuffix(n, "]") {
			keys = append(keys, n)
		}
	}
	return keys
}

// statePrintForEach shows every group of the for_each block name, one after the other.
func statePrintForEach(w io.Writer, st *state.State, name string, groups []string) error {
	fmt.Fprintf(w, "%s is a for_each block with %s: %s.\n", name, countNoun(len(groups), "group"), strings.Join(groups, ", "))
	for _, n := range groups {
		fmt.Fprintln(w)
		if err := statePrintGroup(w, st, n, st.Groups[n]); err != nil {
			return err
		}
	}
	return nil
}

// stateShowJSON is the JSON form of `fleet state show --json`: the group's record as it is
// in the state.
type stateShowJSON struct {
	FormatVersion string       `json:"format_version"`
	Name          string       `json:"name"`
	Group         *state.Group `json:"group"`
}

// stateReadExisting reads the state for a command that needs one.
func stateReadExisting(ctx context.Context, store state.Store) (*state.State, error) {
	st, err := store.Read(ctx)
	if errors.Is(err, state.ErrNoState) {
		return nil, fmt.Errorf("no state at %s (use --state to name another file)", store.Where())
	}
	return st, err
}

// statePrintGroup writes a group's calls and instances for a person.
func statePrintGroup(w io.Writer, st *state.State, name string, grp *state.Group) error {
	fmt.Fprintf(w, "Group %s of fleet %s in %s (state serial %d)\n", name, st.Fleet, st.Region, st.Serial)
	fmt.Fprintf(w, "%s (%d current), %s, %d pending\n", countNoun(len(grp.Instances), "instance"), grp.Current(), countNoun(len(grp.Batches), "call"), len(grp.PendingBatches()))
	for _, b := range grp.Batches {
		fmt.Fprintf(w, "\nCall %d: %s, %s, %s", b.Seq, b.Kind, b.Status, countNoun(b.GoodsNum, "instance"))
		if b.Attempts > 0 {
			fmt.Fprintf(w, ", %s", countNoun(b.Attempts, "attempt"))
		}
		fmt.Fprintln(w)
		if b.ClientToken != "" {
			fmt.Fprintf(w, "  client token: %s\n", b.ClientToken)
		}
		fmt.Fprintf(w, "  created %s, updated %s\n", stateTime(b.CreatedAt), stateTime(b.UpdatedAt))
		if len(b.DealIDs) > 0 {
			fmt.Fprintf(w, "  deals: %s\n", strings.Join(b.DealIDs, ", "))
		}
		if len(b.InstanceIDs) > 0 {
			fmt.Fprintf(w, "  instances: %s\n", strings.Join(b.InstanceIDs, ", "))
		}
		if e := b.Error; e != nil {
			fmt.Fprintf(w, "  error: %s\n", stateBatchError(e))
		}
		if b.Status == state.StatusPending {
			fmt.Fprintln(w, "  outcome unknown: \"fleet apply\" resends it with the same client token")
		}
		if len(b.Params) > 0 {
			fmt.Fprintln(w, "  parameters:")
			keys := spec.SortedKeys(b.Params)
			width := 0
			for _, k := range keys {
				width = max(width, len(k))
			}
			for _, k := range keys {
				fmt.Fprintf(w, "    %-*s = %s\n", width, k, b.Params[k])
			}
		}
	}
	if len(grp.Instances) == 0 {
		_, err := fmt.Fprintln(w, "\nNo instances.")
		return err
	}
	fmt.Fprintln(w, "\nInstances:")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, in := range grp.Instances {
		at := ""
		if in.StatusAt != nil {
			at = "as of " + stateTime(*in.StatusAt)
		}
		fmt.Fprintf(tw, "  %s\tcall %d\t%s\t%s\n", in.ID, in.Batch, stateInstanceStatus(in.Status), at)
	}
	return tw.Flush()
}

// stateBatchError formats the error recorded with a batch on one line.
func stateBatchError(e *state.BatchError) string {
	var b strings.Builder
	if e.Name != "" {
		b.WriteString(e.Name)
		b.WriteString(" ")
	}
	if e.Code != 0 {
		fmt.Fprintf(&b, "(code %d) ", e.Code)
	}
	b.WriteString(e.Message)
	if e.Class != "" {
		fmt.Fprintf(&b, " [%s]", e.Class)
	}
	return b.String()
}

// stateTime formats a recorded time in UTC, or "-" when it is not set.
func stateTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

// stateInstanceStatus names a DescribeInstances status as recorded in the state: the
// executor's name, with the two states a person reads differently here spelled out.
func stateInstanceStatus(s int) string {
	switch s {
	case 0:
		return "status not read yet"
	case state.InstanceFailed:
		return "creation failed"
	}
	return executor.StatusName(s)
}

// stateRmCmd returns `fleet state rm`.
func stateRmCmd(g *globals) *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:   "rm GROUP",
		Short: "Remove a group's record from the state (its instances are NOT returned)",
		Long: `Rm removes the record of a group from the state, under the state lock. The instances are
NOT returned or stopped: they keep running and keep being billed; fleet simply forgets them.
A group still in the spec is then bought again by the next apply.

A group with a call whose outcome is unknown (pending) is refused unless --force is given:
run "fleet apply" first so that the call is resolved and its instances recorded.`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: completeGroups(g),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runStateRm(cmd.Context(), g, cmd.OutOrStdout(), cmd.ErrOrStderr(), args[0], force)
		},
	}
	cmd.Flags().BoolVar(&force, "force", false, "remove the group even with pending calls")
	return cmd
}

// runStateRm removes a group's record under the state lock, refusing one with pending
// calls unless force is set.
func runStateRm(ctx context.Context, g *globals, out, errOut io.Writer, name string, force bool) error {
	var res *workflow.RmResult
	var where string
	err := g.withStore(g.chdir(), func(env workflow.Env) error {
		var err error
		res, err = workflow.StateRm(ctx, env, name, force)
		where = env.Store.Where()
		return err
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "Removed group %s from %s (serial %d): %s forgotten.\n", name, where, res.Serial, countNoun(res.Instances, "instance"))
	if res.Current > 0 {
		verb := "were"
		if res.Current == 1 {
			verb = "was"
		}
		fmt.Fprintf(errOut, "Warning: %s of group %s %s NOT returned: it keeps running and being billed. Return what is no longer wanted in the console; if the group is still in the spec, the next apply buys it again.\n", countNoun(res.Current, "current instance"), name, verb)
	}
	return nil
}
