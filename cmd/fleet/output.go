package main

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
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

// outputDocument lists the instances of st that are not known to be gone, by group, with
// what the last refresh read: status, zone, addresses, deadline and renew flag. The zone and
// private address fall back to those of the call that bought the instance while no refresh
// has read them.
func outputDocument(st *state.State) outputJSON {
	doc := outputJSON{FormatVersion: "1.0", Fleet: st.Fleet, Groups: map[string]outputGroup{}}
	for _, name := range st.GroupNames() {
		g := st.Groups[name]
		og := outputGroup{Instances: []outputInstance{}}
		for _, in := range g.Instances {
			if in.Gone() {
				continue
			}
			oi := outputInstance{ID: in.ID, PublicIPs: []string{}, ReadAt: in.StatusAt, Deadline: in.Deadline, AutoRenew: in.AutoRenew}
			if len(in.PublicIPs) > 0 {
				oi.PublicIPs = slices.Clone(in.PublicIPs)
			}
			if in.ZoneID != 0 {
				z := in.ZoneID
				oi.ZoneID = &z
			}
			if len(in.PrivateIPs) > 0 {
				ip := in.PrivateIPs[0]
				oi.PrivateIP = &ip
			}
			if b := g.Batch(in.Batch); b != nil && (oi.ZoneID == nil || oi.PrivateIP == nil) {
				if z, err := strconv.Atoi(b.Params["zoneId"]); err == nil && oi.ZoneID == nil {
					oi.ZoneID = &z
				}
				if ip := b.Params["privateIpAddresses.0"]; ip != "" && oi.PrivateIP == nil {
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
	fmt.Fprintln(tw, "GROUP\tINSTANCE\tZONE\tPRIVATE IP\tPUBLIC IPS\tSTATUS\tDEADLINE\tRENEW\tREAD AT")
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
			public := "-"
			if len(in.PublicIPs) > 0 {
				public = strings.Join(in.PublicIPs, ",")
			}
			deadline := "-"
			if in.Deadline != nil {
				deadline = stateTime(*in.Deadline)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", name, in.ID, zone, dash(in.PrivateIP), public, dash(in.Status), deadline, autoRenewName(in.AutoRenew), at)
		}
	}
	return tw.Flush()
}

// autoRenewName says what the cloud's renew flag means, "-" when it is unknown.
func autoRenewName(flag *int) string {
	if flag == nil {
		return "-"
	}
	switch *flag {
	case state.AutoRenewNotify:
		return "notify"
	case state.AutoRenewAuto:
		return "auto"
	case state.AutoRenewNever:
		return "never"
	}
	return strconv.Itoa(*flag)
}
