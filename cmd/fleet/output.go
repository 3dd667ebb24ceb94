package main

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"fleet/internal/state"
	"fleet/internal/workflow"
)

func init() {
	register(func(g *globals) *cobra.Command {
		var asJSON bool
		cmd := &cobra.Command{
			Use:   "output [DIR]",
			Short: "Print the instances of every group: ids, zones, addresses, status",
			Long: `Output prints, per group of the state, its instances: id, zone, private and public IPs,
status, expiry, the cloud's renew flag and when they were read, so that a later CI job can
hand them to the next tool. It reads the state only (run "fleet refresh" first for fresh
statuses); what the state does not know is null in --json and "-" otherwise.

  fleet output --json | jq -r '.groups.web.instances[].id'`,
			Args: cobra.MaximumNArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				return g.withStore(specDir(args), func(env workflow.Env) error {
					st, err := workflow.StatePull(cmd.Context(), env)
					if err != nil {
						return err
					}
					doc := outputDocument(st)
					if asJSON {
						return writeJSON(cmd.OutOrStdout(), "output", doc)
					}
					return printOutput(cmd.OutOrStdout(), doc)
				})
			},
		}
		cmd.Flags().BoolVar(&asJSON, "json", false, "print the instances as JSON")
		return cmd
	})
}

// outputJSON is the document of fleet output --json.
type outputJSON struct {
	FormatVersion string                 `json:"format_version"`
	Fleet         string                 `json:"fleet"`
	Groups        map[string]outputGroup `json:"groups"`
}

type outputGroup struct {
	Instances []outputInstance `json:"instances"`
}

// outputInstance is one instance as the state knows it; what it does not know is null.
type outputInstance struct {
	ID        string     `json:"id"`
	ZoneID    *int       `json:"zone_id"`
	PrivateIP *string    `json:"private_ip"`
	PublicIPs []string   `json:"public_ips"`
	Status    *string    `json:"status"`
	Deadline  *time.Time `json:"deadline"`
	AutoRenew *int       `json:"auto_renew"`
	ReadAt    *time.Time `json:"read_at"`
}

// outputDocument lists the instances of st that are not known to be gone, by group: the
// zone and private address from the call that bought each one, the status from the last
// read.
func outputDocument(st *state.State) outputJSON {
	doc := outputJSON{FormatVersion: "1.0", Fleet: st.Fleet, Groups: map[string]outputGroup{}}
	for _, name := range st.GroupNames() {
		g := st.Groups[name]
		og := outputGroup{Instances: []outputInstance{}}
		for _, in := range g.Instances {
			if in.Gone() {
				continue
			}
			oi := outputInstance{ID: in.ID, PublicIPs: []string{}, ReadAt: in.StatusAt}
			if b := g.Batch(in.Batch); b != nil {
				if z, err := strconv.Atoi(b.Params["zoneId"]); err == nil {
					oi.ZoneID = &z
				}
				if ip := b.Params["privateIpAddresses.0"]; ip != "" {
					oi.PrivateIP = &ip
				}
			}
			if in.Status != 0 {
				s := stateInstanceStatus(in.Status)
				oi.Status = &s
			}
			og.Instances = append(og.Instances, oi)
		}
		doc.Groups[name] = og
	}
	return doc
}

func printOutput(w io.Writer, doc outputJSON) error {
	if len(doc.Groups) == 0 {
		_, err := fmt.Fprintln(w, "No groups.")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "GROUP\tINSTANCE\tZONE\tPRIVATE IP\tSTATUS\tREAD AT")
	dash := func(s *string) string {
		if s == nil {
			return "-"
		}
		return *s
	}
	for _, name := range slices.Sorted(maps.Keys(doc.Groups)) {
		for _, in := range doc.Groups[name].Instances {
			zone := "-"
			if in.ZoneID != nil {
				zone = strconv.Itoa(*in.ZoneID)
			}
			at := "-"
			if in.ReadAt != nil {
				at = stateTime(*in.ReadAt)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", name, in.ID, zone, dash(in.PrivateIP), dash(in.Status), at)
		}
	}
	return tw.Flush()
}
