package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"regexp"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"fleet/executor"
	"fleet/internal/catalog"
	"fleet/internal/cvm"
	"fleet/internal/diagview"
	"fleet/internal/state"
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
group of the spec of --dir (default "."), so that they count towards the group's count and
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
			Args: cobra.MinimumNArgs(2),
			RunE: func(cmd *cobra.Command, args []string) error {
				if err := checkRate(f.rate); err != nil {
					return err
				}
				return runImport(cmd.Context(), g, f, cmd.OutOrStdout(), cmd.ErrOrStderr(), args[0], args[1:])
			},
		}
		fl := cmd.Flags()
		fl.StringVar(&f.dir, "dir", ".", "the spec directory")
		rateFlag(fl, &f.rate)
		return cmd
	})
}

// instanceIDPattern is the form of an instance id (unInstanceId).
var instanceIDPattern = regexp.MustCompile(`^ins-[0-9a-z]{8}$`)

// importProblem is why one id cannot be imported.
type importProblem struct {
	id, why string
}

// runImport checks every id and, when all pass, records them as one import batch of group.
func runImport(ctx context.Context, g *globals, f *importFlags, out, errOut io.Writer, group string, ids []string) error {
	cfg, err := cloudConfig()
	if err != nil {
		return err
	}
	var problems []importProblem
	seen := map[string]bool{}
	var wanted []string
	for _, id := range ids {
		switch {
		case !instanceIDPattern.MatchString(id):
			problems = append(problems, importProblem{id, "not an instance id: want ins- and 8 lowercase letters or digits"})
		case seen[id]:
			problems = append(problems, importProblem{id, "given more than once"})
		default:
			wanted = append(wanted, id)
		}
		seen[id] = true
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

	statePath := g.statePathFor(f.dir)
	lock, err := state.Lock(ctx, statePath, "import", g.lockTimeout)
	if err != nil {
		return err
	}
	defer lock.Unlock()
	st, err := state.Read(statePath)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		st = state.New(fleet.Name, fleet.Region)
	case err != nil:
		return err
	case st.Fleet != fleet.Name || st.Region != fleet.Region:
		return fmt.Errorf("import: the state %s records fleet %q in %s, but the spec is fleet %q in %s (nothing was imported)", statePath, st.Fleet, st.Region, fleet.Name, fleet.Region)
	}

	var ask []string
	for _, id := range wanted {
		if other, ok := st.InstanceGroup(id); ok {
			if other == group {
				problems = append(problems, importProblem{id, fmt.Sprintf("already recorded in group %s", other)})
			} else {
				problems = append(problems, importProblem{id, fmt.Sprintf("already recorded in group %s; an instance belongs to one group", other)})
			}
			continue
		}
		ask = append(ask, id)
	}

	var found map[string]cvm.Instance
	if len(ask) > 0 {
		c, err := newCloudClient(cfg, st.Region, f.rate)
		if err != nil {
			return err
		}
		found, err = executor.DescribeByID(ctx, c, ask)
		if err != nil {
			return fmt.Errorf("import: %w (nothing was imported)", err)
		}
	}
	region, _ := catalog.Default().Region(st.Region)
	for _, id := range ask {
		inst, ok := found[id]
		switch {
		case !ok:
			problems = append(problems, importProblem{id, fmt.Sprintf("not found in %s: check the id, the region and the credentials", st.Region)})
		case (&state.Instance{Status: inst.Status}).Gone():
			problems = append(problems, importProblem{id, fmt.Sprintf("is %s (status %d): only a live instance can be imported", executor.StatusName(inst.Status), inst.Status)})
		case region != nil && inst.ZoneID != 0 && !region.HasZone(inst.ZoneID):
			problems = append(problems, importProblem{id, fmt.Sprintf("is in zone %d, not a zone of %s", inst.ZoneID, st.Region)})
		}
	}
	if len(problems) > 0 {
		for _, p := range problems {
			fmt.Fprintf(errOut, "  %s: %s\n", p.id, p.why)
		}
		return fmt.Errorf("import refused: %d of %d instance ids cannot be imported into group %s; nothing was imported", len(problems), len(ids), group)
	}

	now := time.Now().UTC()
	seq := 0
	if grp := st.Groups[group]; grp != nil {
		seq = grp.NextSeq()
	}
	st.Apply(state.JournalRecord{Group: group, Batch: &state.Batch{
		Seq:         seq,
		Kind:        state.KindImport,
		GoodsNum:    len(wanted),
		Status:      state.StatusDone,
		DealIDs:     []string{},
		InstanceIDs: wanted,
		CreatedAt:   now,
		UpdatedAt:   now,
	}})
	grp := st.Groups[group]
	var names []string
	for _, id := range wanted {
		inst := found[id]
		rec := grp.Instance(id)
		at := now
		rec.Status, rec.StatusAt = inst.Status, &at
		names = append(names, fmt.Sprintf("%s (%s)", id, executor.StatusName(inst.Status)))
		if w := importMismatch(inst, sg.Config); w != "" {
			fmt.Fprintf(out, "Warning: %s %s.\n", id, w)
		}
	}
	if err := state.Write(statePath, st); err != nil {
		return err
	}
	fmt.Fprintf(out, "Imported %s into group %s as batch #%d: %s.\n", countNoun(len(wanted), "instance"), group, seq, strings.Join(names, ", "))
	if cur := grp.Current(); cur > sg.Count {
		fmt.Fprintf(out, "Group %s now has %d current instances and its spec asks for %d: the plan will show a surplus.\n", group, cur, sg.Count)
	}
	fmt.Fprintf(out, "State saved to %s (serial %d).\n", statePath, st.Serial)
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
