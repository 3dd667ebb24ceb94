package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"fleet/executor"
	"fleet/internal/cvm"
	"fleet/internal/diagview"
	"fleet/internal/workflow"
	"fleet/spec"
)

// importFlags are the flags of fleet import.
type importFlags struct {
	dir  string
	rate float64
}

func init() {
	register(func(g *globals) *cobra.Command {
		f := &importFlags{}
		cmd := &cobra.Command{
			Use:   "import GROUP INSTANCE_ID...",
			Short: "Adopt instances bought elsewhere into a group",
			Long: `Import records instances bought outside fleet (in the console, by another tool) in a
group of the spec of the current directory, or of --chdir DIR (--dir DIR is the same), so that they count towards the group's count and
the next plan buys only what is still missing.

The group must be a group of the spec, and the spec must be free of errors: an instance
imported into a group the spec does not have would only show up as an orphan. Every id is
checked with DescribeInstances in the fleet's region: it must exist there, in a zone of the
region, and must not be returned (5), being returned (6) or failed (-1). An id that the state
already records, in this group or any other, is refused, naming the group: an instance
belongs to one group once. If any id is refused, nothing is imported; otherwise the ids are
recorded as one import batch of the group (with the next sequence number and no client
token) and the state is written under its lock.

An instance whose cores, memory or zone differ from the group's is imported with a warning:
fleet never changes an instance it did not buy.

Credentials: TENCENTCLOUD_SECRET_ID, TENCENTCLOUD_SECRET_KEY and optionally
TENCENTCLOUD_SECURITY_TOKEN; FLEET_ENDPOINT sets the API entry.

Exit status: 0 when every id was imported, 1 otherwise (nothing is then written).`,
			Args:              cobra.MinimumNArgs(2),
			ValidArgsFunction: completeGroups(g),
			RunE: func(cmd *cobra.Command, args []string) error {
				if err := checkRate(f.rate); err != nil {
					return err
				}
				if f.dir == "" {
					f.dir = g.chdir()
				}
				return runImport(cmd.Context(), g, f, cmd.OutOrStdout(), cmd.ErrOrStderr(), args[0], args[1:])
			},
		}
		fl := cmd.Flags()
		fl.StringVar(&f.dir, "dir", "", "the spec directory, as the global --chdir (default \".\")")
		rateFlag(fl, &f.rate)
		return cmd
	})
}

// runImport checks every id and, when all pass, records them as one import batch of group.
func runImport(ctx context.Context, g *globals, f *importFlags, out, errOut io.Writer, group string, ids []string) error {
	cfg, err := cloudConfig()
	if err != nil {
		return err
	}

	files, in, err := g.readSpec(f.dir)
	if err != nil {
		return err
	}
	fleet, diags := spec.Load(files, in)
	if fleet == nil || diags.HasErrors() {
		_ = diagview.Human(errOut, diags, specSources(files), wantColor(errOut))
		return fmt.Errorf("import: the spec of %s has errors; fix them first (nothing was imported)", f.dir)
	}
	var sg *spec.Group
	for _, x := range fleet.Groups {
		if x.Name == group {
			sg = x
		}
	}
	if sg == nil {
		return fmt.Errorf("import: the spec of %s has no group %q: add a group %q block first (nothing was imported)", f.dir, group, group)
	}

	store, err := g.openStore(f.dir, fleet)
	if err != nil {
		return err
	}
	defer store.Close()
	res, err := workflow.Import(ctx, g.env(store, &cfg, f.rate), fleet, sg, ids)
	if err != nil {
		return err
	}
	if len(res.Problems) > 0 {
		for _, p := range res.Problems {
			fmt.Fprintf(errOut, "  %s: %s\n", p.ID, p.Why)
		}
		return fmt.Errorf("import refused: %d of %s cannot be imported into group %s; nothing was imported", len(res.Problems), countNoun(len(ids), "instance id"), group)
	}
	var names []string
	for _, id := range ids {
		inst := res.Found[id]
		names = append(names, fmt.Sprintf("%s (%s)", id, executor.StatusName(inst.Status)))
		if w := importMismatch(inst, sg.Config); w != "" {
			fmt.Fprintf(out, "Warning: %s %s.\n", id, w)
		}
	}
	fmt.Fprintf(out, "Imported %s into group %s as batch #%d: %s.\n", countNoun(len(ids), "instance"), group, res.Seq, strings.Join(names, ", "))
	if res.Current > sg.Count {
		fmt.Fprintf(out, "Group %s now has %s and its spec asks for %d: the plan will show a surplus.\n", group, countNoun(res.Current, "current instance"), sg.Count)
	}
	fmt.Fprintf(out, "State saved to %s (serial %d).\n", store.Where(), res.Serial)
	return nil
}

// importMismatch describes how an instance differs from the group's configuration, or
// returns "" when its cores, memory and zone are those of the group.
func importMismatch(in cvm.Instance, c spec.Config) string {
	var diffs []string
	if in.CPU != 0 && in.CPU != c.CPU {
		diffs = append(diffs, fmt.Sprintf("has %d %s, the group %d", in.CPU, refreshPlural(in.CPU, "core", "cores"), c.CPU))
	}
	if in.Mem != 0 && in.Mem != c.Mem {
		diffs = append(diffs, fmt.Sprintf("has %d GB of memory, the group %d", in.Mem, c.Mem))
	}
	if in.ZoneID != 0 && c.ZoneID != 0 && in.ZoneID != c.ZoneID {
		diffs = append(diffs, fmt.Sprintf("is in zone %d, the group in %d", in.ZoneID, c.ZoneID))
	}
	return strings.Join(diffs, "; ")
}
