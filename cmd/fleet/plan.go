package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"fleet/executor"
	"fleet/internal/atomicfile"
	"fleet/internal/cvm"
	"fleet/internal/planview"
	"fleet/internal/state"
	"fleet/internal/workflow"
	"fleet/planner"
	"fleet/spec"
)

func init() {
	register(func(g *globals) *cobra.Command {
		var o planOptions
		cmd := &cobra.Command{
			Use:   "plan [DIR]",
			Short: "Diff the spec against the state; print the purchase plan and all diagnostics",
			Long: `Plan reads the spec of DIR (default ".") and its state, and prints what "fleet apply"
would buy: every group, every RunInstances call with its client token, every diagnostic, and
a summary. It buys nothing and writes nothing but the --out file.

--refresh first reads the status of every recorded instance with DescribeInstances, shows what
changed and plans on the refreshed statuses, without writing the state ("fleet refresh" writes
them). --price asks InquiryInstancePrice the price of each distinct call configuration and
shows the cost per group and in total, in yuan, for the whole prepaid period; --max-cost
AMOUNT implies it. Both need the credentials: TENCENTCLOUD_SECRET_ID, TENCENTCLOUD_SECRET_KEY
and optionally TENCENTCLOUD_SECURITY_TOKEN; FLEET_ENDPOINT sets the API entry.

A pending call whose instance name carries a marker shows as "adopt or resume": apply looks
its instances up by the marker first and adopts them, or sends the call again when it finds
none.

--group NAME (repeatable) plans only the named groups, like Terraform's -target: the others
are neither bought nor shown, and a warning says so. A plan saved with it (--out) applies
exactly that plan.

Exit status: 1 when the plan cannot be applied (the spec has errors) or costs more than
--max-cost; otherwise 0, or with --detailed-exitcode 0 when there is nothing to apply
(warnings alone) and 2 when there is (a purchase, a resumed call, a move or a removal).`,
			Args: cobra.MaximumNArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				if o.json {
					if cmd.Flags().Changed("format") && o.format != "json" {
						return fmt.Errorf("--json and --format %s conflict", o.format)
					}
					o.format = "json"
				}
				switch o.format {
				case "human", "json", "markdown", "github":
				default:
					return fmt.Errorf("invalid --format %q: want human, json, markdown or github", o.format)
				}
				return runPlan(cmd.Context(), g, cmd.OutOrStdout(), cmd.ErrOrStderr(), specDir(args), o)
			},
		}
		fl := cmd.Flags()
		fl.StringVar(&o.out, "out", "", "save the plan to FILE for \"fleet apply FILE\"")
		fl.BoolVar(&o.json, "json", false, "print the plan as a JSON document (same as --format json)")
		fl.StringVar(&o.format, "format", "human", "output format: human, json, markdown or github")
		fl.BoolVar(&o.detailedExit, "detailed-exitcode", false, "exit 0 when there is nothing to apply (warnings alone), 2 when there is")
		fl.BoolVar(&o.price, "price", false, "ask InquiryInstancePrice the price of every call (needs credentials)")
		fl.StringVar(&o.maxCost, "max-cost", "", "fail when the plan costs more than AMOUNT yuan (implies --price)")
		fl.StringArrayVar(&o.groups, "group", nil, "plan only group NAME (and its for_each groups NAME[...]); repeatable")
		fl.BoolVar(&o.refresh, "refresh", false, "read the instance statuses from DescribeInstances first, without writing the state (needs credentials)")
		return cmd
	})
}

// planOptions are the flags of fleet plan.
type planOptions struct {
	out          string
	json         bool
	format       string
	detailedExit bool
	price        bool
	maxCost      string
	refresh      bool
	groups       []string
}

func runPlan(ctx context.Context, g *globals, out, errOut io.Writer, dir string, o planOptions) error {
	maxCost, err := parseMaxCost(o.maxCost)
	if err != nil {
		return err
	}
	var cloud *cvm.Config
	if o.price || maxCost != nil || o.refresh {
		cfg, err := cloudConfig()
		if err != nil {
			return err
		}
		cloud = &cfg
	}
	files, in, err := g.readSpec(dir)
	if err != nil {
		return err
	}
	f, diags := spec.Load(files, in)
	if f == nil {
		// No fleet block could be read: plan nothing, but show every diagnostic.
		f = &spec.Fleet{Diags: diags}
	}
	store, err := g.openStore(dir, f)
	if err != nil {
		return err
	}
	defer store.Close()
	st, err := readStateForPlan(ctx, store)
	if err != nil {
		return err
	}
	if o.refresh && st != nil {
		// What the refresh prints goes before the plan; with a machine-readable plan on
		// stdout, it goes to stderr.
		w := out
		if o.format != "human" {
			w = errOut
		}
		if err := planRefresh(ctx, *cloud, st, w); err != nil {
			return err
		}
	}
	p := planner.ComputeWith(f, st, planner.Options{Groups: o.groups, At: time.Now()})
	// With credentials the plan makes apply's check for a lost state; without, it says so.
	var client executor.Client
	if cloud == nil {
		if cfg, err := cloudConfig(); err == nil {
			cloud = &cfg
		}
	}
	if cloud != nil && p.Applyable() {
		if client, err = newCloudClient(*cloud, p.Region, defaultRate); err != nil {
			return err
		}
	}
	p.Diagnostics = append(p.Diagnostics, workflow.CheckState(ctx, client, p, st)...)
	if o.price || maxCost != nil {
		if !p.Applyable() {
			p.PriceNote = "the plan has errors, and prices are asked only for a plan that can be applied"
		} else if err := workflow.PricePlan(ctx, client, p); err != nil {
			return err
		}
	}

	// A large fleet prints a line or more per group: buffer them. Colour is decided on the
	// real output.
	bw := bufio.NewWriterSize(out, 64<<10)
	err = renderPlan(bw, p, o.format, specSources(files), wantColor(out))
	if ferr := bw.Flush(); err == nil {
		err = ferr
	}
	if err != nil {
		return fmt.Errorf("write plan: %w", err)
	}
	if path := os.Getenv("GITHUB_STEP_SUMMARY"); o.format == "github" && path != "" {
		if err := appendStepSummary(path, p); err != nil {
			return err
		}
	}
	if err := workflow.CheckMaxCost(p, maxCost); err != nil {
		return err
	}
	if !p.Applyable() {
		if o.out != "" {
			return &exitCode{code: exitError, err: fmt.Errorf("plan not saved to %s: it cannot be applied", o.out)}
		}
		return silentExit(exitError)
	}
	if o.out != "" {
		if err := savePlan(o.out, p, files, f.Vars); err != nil {
			return err
		}
	}
	if o.detailedExit && p.HasChanges() {
		return silentExit(exitChanges)
	}
	return nil
}

// readStateForPlan reads the store's state. No state yet is no state (nil): the plan then
// records an empty lineage, which is what apply finds when the state is still missing.
func readStateForPlan(ctx context.Context, store state.Store) (*state.State, error) {
	st, err := store.Read(ctx)
	if errors.Is(err, state.ErrNoState) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read state: %w", err)
	}
	return st, nil
}

// renderPlan writes p to w in the given format.
func renderPlan(w io.Writer, p *planner.Plan, format string, sources map[string][]byte, color bool) error {
	switch format {
	case "json":
		return planview.JSON(w, p)
	case "markdown":
		return planview.Markdown(w, p)
	case "github":
		return githubAnnotate(w, p.Diagnostics, "fleet plan")
	}
	return planview.Human(w, p, sources, color)
}

// savePlan writes the saved form of p to path atomically.
func savePlan(path string, p *planner.Plan, files []spec.File, vars []spec.VarValue) error {
	pf, err := planner.NewFile(p, files, vars)
	if err != nil {
		return err
	}
	b, err := planner.EncodeFile(pf)
	if err != nil {
		return err
	}
	if err := atomicfile.Write(path, b, 0o644); err != nil {
		return fmt.Errorf("save plan %s: %w", path, err)
	}
	return nil
}

// appendStepSummary appends the Markdown rendering of p to the file at path, the job summary
// file GitHub Actions names in $GITHUB_STEP_SUMMARY.
func appendStepSummary(path string, p *planner.Plan) error {
	var b bytes.Buffer
	if err := planview.Markdown(&b, p); err != nil {
		return fmt.Errorf("append step summary %s: %w", path, err)
	}
	b.WriteByte('\n')
	return appendFile(path, b.Bytes())
}

// appendFile appends data to the file at path, creating it if needed: the job summary file
// of GitHub Actions, which other steps append to too.
func appendFile(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("append step summary %s: %w", path, err)
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("append step summary %s: %w", path, err)
	}
	return nil
}
