package main

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"fleet/executor"
	"fleet/internal/state"
	"fleet/internal/workflow"
)

// refreshFlags are the flags of fleet refresh.
type refreshFlags struct {
	json bool
	rate float64
}

func init() {
	register(func(g *globals) *cobra.Command {
		f := &refreshFlags{}
		cmd := &cobra.Command{
			Use:   "refresh [DIR]",
			Short: "Update instance statuses in the state from DescribeInstances",
			Long: `Refresh reads the status of every instance recorded in the state of DIR (default ".")
with DescribeInstances, at most 100 instances a request, with the retries and the rate limit
of apply, up to 8 requests at once, and records per instance what changed: status, zone,
private and public IPs, deadline and the cloud's renew flag, with the time they were read. A
deadline in an unexpected form is recorded as unknown, with a warning. Instances that were
returned (status 5),
are being returned (6) or whose creation failed (-1) stop counting as current, so the next
plan buys their replacements.

An instance that DescribeInstances does not know at all is reported as missing and keeps its
recorded status: it still counts as current. The API keeps returned instances visible for a
while, so an instance that vanishes unseen more likely belongs to another region or account
than the one asked; check the credentials before anything else.

The state is written (under its lock, atomically) only when something changed; it needs no
spec. Credentials: TENCENTCLOUD_SECRET_ID, TENCENTCLOUD_SECRET_KEY and optionally
TENCENTCLOUD_SECURITY_TOKEN; FLEET_ENDPOINT sets the API entry.

Exit status: 0 on success, 1 on any error (the state is then not written).`,
			Args: cobra.MaximumNArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				if err := checkRate(f.rate); err != nil {
					return err
				}
				return runRefresh(cmd.Context(), g, f, cmd.OutOrStdout(), specDir(args))
			},
		}
		fl := cmd.Flags()
		fl.BoolVar(&f.json, "json", false, "print the result as a JSON document")
		rateFlag(fl, &f.rate)
		return cmd
	})
}

// runRefresh reads the statuses of the recorded instances and writes the state, under its
// lock, when one changed.
func runRefresh(ctx context.Context, g *globals, f *refreshFlags, out io.Writer, dir string) error {
	cfg, err := cloudConfig()
	if err != nil {
		return err
	}
	store, err := g.storeOf(dir)
	if err != nil {
		return err
	}
	defer store.Close()
	res, err := workflow.Refresh(ctx, g.env(store, &cfg, f.rate))
	if err != nil {
		return err
	}
	if f.json {
		return refreshJSON(out, res.RefreshResult, res.State, res.Written)
	}
	refreshHuman(out, res.RefreshResult, res.State, store.Where(), res.Written)
	return nil
}

// refreshHuman prints the result of a refresh for a person.
func refreshHuman(out io.Writer, res *executor.RefreshResult, st *state.State, statePath string, written bool) {
	fmt.Fprintf(out, "Refreshed %s in %s.\n", countNoun(res.Checked, "instance"), countNoun(res.Requests, "DescribeInstances request"))
	printRefreshChanges(out, res, "the next plan replaces it if its group still asks for it", "kept as it was")
	if len(res.Missing) > 0 {
		fmt.Fprintf(out, "Warning: %d recorded %s not found in %s. Check that the credentials are those of the account that bought %s.\n",
			len(res.Missing), refreshPlural(len(res.Missing), "instance was", "instances were"), st.Region, refreshPlural(len(res.Missing), "it", "them"))
	}
	printRefreshWarnings(out, res)
	if res.Updated > 0 {
		fmt.Fprintf(out, "Zone, addresses, deadline or renew flag read anew for %s.\n", countNoun(res.Updated, "instance"))
	}
	if written && len(res.Changes) == 0 {
		fmt.Fprintf(out, "No status changed. State saved to %s (serial %d).\n", statePath, st.Serial)
		return
	}
	if written {
		fmt.Fprintf(out, "%d %s changed. State saved to %s (serial %d).\n", len(res.Changes), refreshPlural(len(res.Changes), "status", "statuses"), statePath, st.Serial)
		return
	}
	fmt.Fprintln(out, "No status changed; the state was not written.")
}

// printRefreshChanges writes one line per status a refresh changed and one per instance
// DescribeInstances did not know. goneNote says what an instance that stops counting means,
// missingNote what becomes of a missing one, for the command at hand.
func printRefreshChanges(w io.Writer, res *executor.RefreshResult, goneNote, missingNote string) {
	for _, c := range res.Changes {
		note := ""
		switch {
		case c.Gone():
			note = " (no longer counts: " + goneNote + ")"
		case c.Back():
			note = " (counts again)"
		}
		fmt.Fprintf(w, "  %s %s: %s -> %s%s\n", c.Group, c.ID, executor.StatusName(c.Old), executor.StatusName(c.New), note)
	}
	for _, m := range res.Missing {
		fmt.Fprintf(w, "  %s %s: missing: DescribeInstances does not know it (recorded %s; %s)\n", m.Group, m.ID, executor.StatusName(m.Status), missingNote)
	}
}

// printRefreshWarnings writes one line per part of an answer a refresh could not read.
func printRefreshWarnings(w io.Writer, res *executor.RefreshResult) {
	for _, wn := range res.Warnings {
		fmt.Fprintf(w, "Warning: %s %s: %s\n", wn.Group, wn.ID, wn.Note)
	}
}

// refreshOutput is the JSON rendering of a refresh.
type refreshOutput struct {
	FormatVersion string            `json:"format_version"`
	Region        string            `json:"region"`
	Checked       int               `json:"checked"`
	Requests      int               `json:"requests"`
	Changes       []refreshChange   `json:"changes"`
	Missing       []refreshMissing  `json:"missing"`
	Warnings      []refreshWarning  `json:"warnings"`
	Summary       refreshSummary    `json:"summary"`
	State         refreshStateBrief `json:"state"`
}

// refreshChange is one status a refresh changed.
type refreshChange struct {
	Group   string `json:"group"`
	ID      string `json:"id"`
	Old     int    `json:"old_status"`
	OldName string `json:"old_status_name"`
	New     int    `json:"new_status"`
	NewName string `json:"new_status_name"`
	Gone    bool   `json:"gone"`
}

// refreshMissing is one recorded instance DescribeInstances did not know.
type refreshMissing struct {
	Group  string `json:"group"`
	ID     string `json:"id"`
	Status int    `json:"status"`
}

// refreshSummary counts the changes, the instances gone and the ones missing.
// refreshWarning is a part of an instance's answer that could not be read.
type refreshWarning struct {
	Group string `json:"group"`
	ID    string `json:"id"`
	Note  string `json:"note"`
}

type refreshSummary struct {
	Changed int `json:"changed"`
	Gone    int `json:"gone"`
	Missing int `json:"missing"`
	Updated int `json:"updated"` // instances whose zone, addresses, deadline or renew flag were read anew
}

// refreshStateBrief says whether the state was written, and its lineage and serial.
type refreshStateBrief struct {
	Written bool   `json:"written"`
	Lineage string `json:"lineage"`
	Serial  uint64 `json:"serial"`
}

// refreshJSON writes the result of a refresh as one JSON document.
func refreshJSON(out io.Writer, res *executor.RefreshResult, st *state.State, written bool) error {
	o := refreshOutput{
		FormatVersion: "1.0",
		Region:        st.Region,
		Checked:       res.Checked,
		Requests:      res.Requests,
		Changes:       []refreshChange{},
		Missing:       []refreshMissing{},
		Warnings:      []refreshWarning{},
		State:         refreshStateBrief{Written: written, Lineage: st.Lineage, Serial: st.Serial},
	}
	for _, c := range res.Changes {
		o.Changes = append(o.Changes, refreshChange{Group: c.Group, ID: c.ID, Old: c.Old, OldName: executor.StatusName(c.Old), New: c.New, NewName: executor.StatusName(c.New), Gone: c.Gone()})
		if c.Gone() {
			o.Summary.Gone++
		}
	}
	for _, m := range res.Missing {
		o.Missing = append(o.Missing, refreshMissing{Group: m.Group, ID: m.ID, Status: m.Status})
	}
	for _, w := range res.Warnings {
		o.Warnings = append(o.Warnings, refreshWarning{Group: w.Group, ID: w.ID, Note: w.Note})
	}
	o.Summary.Changed, o.Summary.Missing, o.Summary.Updated = len(res.Changes), len(res.Missing), res.Updated
	return writeJSON(out, "refresh result", o)
}

// refreshPlural returns one or many by n.
func refreshPlural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
