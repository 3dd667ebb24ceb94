package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/mattn/go-isatty"
	"github.com/spf13/cobra"

	"fleet/executor"
	"fleet/internal/diagview"
	"fleet/internal/workflow"
	"fleet/planner"
	"fleet/spec"
)

// applyFlags are the flags of fleet apply.
type applyFlags struct {
	autoApprove bool
	parallelism int
	rate        float64
	json        bool
	wait        bool
	waitTimeout time.Duration
	maxCost     string
	price       bool
	groups      []string
}

func init() {
	register(func(g *globals) *cobra.Command {
		f := &applyFlags{}
		cmd := &cobra.Command{
			Use:   "apply [DIR | PLANFILE]",
			Short: "Buy the instances the plan calls for",
			Long: `Apply plans the spec of DIR (default ".") against the state, shows the plan and, once
approved, buys the instances in grouped RunInstances calls. Every call is written to the
journal beside the state before it is sent, and its answer as soon as it arrives, so an apply
that is killed, interrupted or loses an answer never buys twice: run it again and it resolves
the calls left pending with their recorded client tokens first. A pending call whose
instance name carries a marker is looked up by it before it is sent again: instances found
are adopted and nothing is bought, since the API may have forgotten the token by then.

With --max-cost AMOUNT (yuan) apply asks InquiryInstancePrice first and buys nothing, exiting
1, when the plan costs more.

--group NAME (repeatable) plans and applies only the named groups, like Terraform's -target.

With PLANFILE (saved by "fleet plan --out") it applies exactly that plan, after checking that
neither the state, nor a spec file, nor a variable changed since; sensitive variables must be
supplied again. The spec is read from the plan file's directory when it holds spec files,
else from the current directory.

On a terminal apply asks for "yes"; otherwise --auto-approve is required. Progress is a live
bar on a terminal, one line per finished call otherwise, and one JSON event per line with
--json. With --wait it then polls DescribeInstances until the new instances run.

The first interrupt (Ctrl-C, SIGTERM) starts no new call and waits for the calls in flight to
be answered and recorded; a second one exits at once.

Credentials: TENCENTCLOUD_SECRET_ID, TENCENTCLOUD_SECRET_KEY and optionally
TENCENTCLOUD_SECURITY_TOKEN; FLEET_ENDPOINT sets the API entry, FLEET_TRADE_ENDPOINT that of
the trade module (SetAutoRenew; by default FLEET_ENDPOINT when that is a loopback address,
as the simulator serves both, else https://trade.api.qcloud.com/v2/index.php).

Output that can no longer be written (a pipe whose reader has gone) is dropped: it never
stops an apply, which goes on to record every call and exits with its own status.

Exit status: 0 when every call succeeded (or there was nothing to do), 1 on any error or
refused call, 4 when some call's outcome is unknown (run apply again to reconcile). An
interrupted apply never exits 0: 1, or 4 when some call's outcome is unknown; its summary
names the calls it did not start.`,
			Args: cobra.MaximumNArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				if f.parallelism < 1 {
					return fmt.Errorf("invalid --parallelism %d: want at least 1", f.parallelism)
				}
				if err := checkRate(f.rate); err != nil {
					return err
				}
				if f.json && !f.autoApprove {
					return errors.New("--json needs --auto-approve: there is no prompt in JSON mode")
				}
				return runApply(cmd.Context(), g, f, cmd.InOrStdin(), cmd.OutOrStdout(), cmd.ErrOrStderr(), args)
			},
		}
		fl := cmd.Flags()
		fl.BoolVar(&f.autoApprove, "auto-approve", false, "apply without asking (required when stdin is not a terminal)")
		fl.IntVar(&f.parallelism, "parallelism", executor.DefaultParallelism, "calls in flight at once")
		rateFlag(fl, &f.rate)
		fl.BoolVar(&f.json, "json", false, "print one JSON event per line")
		fl.BoolVar(&f.wait, "wait", false, "after buying, poll until the new instances run")
		fl.DurationVar(&f.waitTimeout, "wait-timeout", 15*time.Minute, "how long --wait polls at most")
		fl.StringVar(&f.maxCost, "max-cost", "", "ask the price first and buy nothing when the plan costs more than AMOUNT yuan")
		fl.BoolVar(&f.price, "price", false, "ask InquiryInstancePrice first and show the price with the plan, before asking to buy")
		fl.StringArrayVar(&f.groups, "group", nil, "apply only group NAME (and its for_each groups NAME[...]); repeatable")
		return cmd
	})
}

// applyInput is what apply works from: the spec, and the saved plan if one was given.
type applyInput struct {
	dir      string
	files    []spec.File
	in       spec.Inputs
	saved    *planner.File
	planPath string
}

func runApply(ctx context.Context, g *globals, f *applyFlags, stdin io.Reader, out, errOut io.Writer, args []string) error {
	applySurviveClosedPipes()
	out, errOut = newApplyOutput(out), newApplyOutput(errOut)
	maxCost, err := parseMaxCost(f.maxCost)
	if err != nil {
		return err
	}
	cfg, err := cloudConfig()
	if err != nil {
		return err
	}
	ai, err := applyReadInput(g, args)
	if err != nil {
		return err
	}
	if ai.saved != nil && len(f.groups) > 0 {
		return fmt.Errorf("--group cannot be used with a saved plan: %s applies exactly the groups it was planned with", ai.planPath)
	}
	fleet, diags := spec.Load(ai.files, ai.in)
	store, err := g.openStore(ai.dir, fleet)
	if err != nil {
		return err
	}
	defer store.Close()
	sources := specSources(ai.files)
	view := &applyPrompt{applyView: newApplyView(f, out, sources), f: f, stdin: stdin, out: out, sources: sources}

	ctx, stop := context.WithCancel(ctx)
	defer stop()
	finished := make(chan struct{})
	defer close(finished)
	applyWatchSignals(stop, finished, errOut)

	res, err := workflow.Apply(ctx, g.env(store, &cfg, f.rate), workflow.ApplyInput{
		Fleet:       fleet,
		Diags:       diags,
		Files:       ai.files,
		Saved:       ai.saved,
		SavedName:   ai.planPath,
		Parallelism: f.parallelism,
		MaxCostFen:  maxCost,
		Price:       f.price,
		Wait:        f.wait,
		WaitTimeout: f.waitTimeout,
		Groups:      f.groups,
	}, view)
	return applyExit(res, err)
}

// applyExit maps the outcome of an apply to the error that carries its exit status: 4 when a
// call's outcome is unknown, 1 when a call failed or was not started (an interrupted apply
// never exits 0), 0 when every call succeeded or there was nothing to do.
func applyExit(res *executor.Result, err error) error {
	switch {
	case errors.Is(err, workflow.ErrNotApplyable):
		return silentExit(exitError)
	case err != nil && (res != nil && res.Unknown() || errors.Is(err, workflow.ErrUnknownOutcome)):
		return &exitCode{code: exitUnknown, err: err}
	case err != nil:
		return err
	case res == nil:
		return nil
	case res.Unknown():
		return silentExit(exitUnknown)
	case res.Failed > 0 || res.Skipped > 0 || res.Interrupted || res.Keep.Failed():
		return silentExit(exitError)
	}
	return nil
}

// applyPrompt adds to an apply view what the workflow asks of the person at the terminal:
// the diagnostics of a spec that cannot be applied and the approval.
type applyPrompt struct {
	applyView
	f       *applyFlags
	stdin   io.Reader
	out     io.Writer
	sources map[string][]byte
}

func (v *applyPrompt) Diagnostics(diags hcl.Diagnostics) {
	applyPrintDiags(v.out, v.f, diags, v.sources)
}

// Approve asks for "yes" on a terminal; --auto-approve approves without asking.
func (v *applyPrompt) Approve(p *planner.Plan) (bool, error) {
	if v.f.autoApprove {
		return true, nil
	}
	if !applyIsTerminal(v.stdin) {
		return false, errors.New("stdin is not a terminal: run with --auto-approve to apply without asking")
	}
	return applyConfirm(v.stdin, v.out)
}

// applyReadInput finds the spec (and the saved plan) named by the command's argument.
func applyReadInput(g *globals, args []string) (*applyInput, error) {
	ai := &applyInput{dir: specDir(args)}
	if len(args) > 0 {
		if fi, err := os.Stat(args[0]); err == nil && !fi.IsDir() {
			ai.planPath = args[0]
			data, err := os.ReadFile(ai.planPath)
			if err != nil {
				return nil, fmt.Errorf("read plan %s: %w", ai.planPath, err)
			}
			pf, err := planner.DecodeFile(data)
			if err != nil {
				return nil, fmt.Errorf("read plan %s: %w", ai.planPath, err)
			}
			ai.saved = pf
			ai.dir = "."
			if d := filepath.Dir(ai.planPath); applyHasSpecFiles(d) {
				ai.dir = d
			}
		}
	}
	var err error
	if ai.files, ai.in, err = g.readSpec(ai.dir); err != nil {
		return nil, err
	}
	return ai, nil
}

func applyHasSpecFiles(dir string) bool {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	for _, e := range entries {
		if !e.IsDir() && isSpecFile(e.Name()) {
			return true
		}
	}
	return false
}

// applyWatchSignals makes the first SIGINT or SIGTERM call stop, so that no new call starts, and a
// second one end the process at once: the journal already holds every call in flight.
func applyWatchSignals(stop func(), finished <-chan struct{}, errOut io.Writer) {
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		defer signal.Stop(sigs)
		select {
		case <-sigs:
			fmt.Fprintln(errOut, "Interrupted: starting no new call; waiting for the calls in flight to be answered and recorded. Interrupt again to exit at once.")
			stop()
		case <-finished:
			return
		}
		select {
		case <-sigs:
			fmt.Fprintln(errOut, "Interrupted again: exiting now. The journal holds every call in flight; run fleet apply again to resolve them.")
			os.Exit(exitUnknown)
		case <-finished:
		}
	}()
}

// applySurviveClosedPipes makes a write to a closed pipe on stdout or stderr fail with EPIPE
// instead of ending the process with SIGPIPE, which is what the Go runtime does unless the
// program asks to be notified of SIGPIPE. It holds until the process exits, so that not even
// the closing error message can end it before its exit status is set.
func applySurviveClosedPipes() {
	applyPipeOnce.Do(func() {
		signal.Notify(make(chan os.Signal, 1), syscall.SIGPIPE)
	})
}

var applyPipeOnce sync.Once

// applyOutput is an output of apply whose writes never fail: after the first write that
// fails (a closed pipe, a full disk), everything written to it is dropped, so that no view
// can stop an apply that has started buying.
type applyOutput struct {
	w      io.Writer
	broken atomic.Bool
}

func newApplyOutput(w io.Writer) *applyOutput {
	if o, ok := w.(*applyOutput); ok {
		return o
	}
	return &applyOutput{w: w}
}

// Write writes p unless an earlier write failed, and reports p written either way.
func (o *applyOutput) Write(p []byte) (int, error) {
	if !o.broken.Load() {
		if _, err := o.w.Write(p); err != nil {
			o.broken.Store(true)
		}
	}
	return len(p), nil
}

// applyRaw returns the writer under an applyOutput, for what must know whether it is a
// terminal.
func applyRaw(w io.Writer) io.Writer {
	if o, ok := w.(*applyOutput); ok {
		return o.w
	}
	return w
}

// applyIsTerminal reports whether v (a reader or a writer) is a terminal.
func applyIsTerminal(v any) bool {
	if o, ok := v.(*applyOutput); ok {
		v = o.w
	}
	f, ok := v.(*os.File)
	return ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
}

// applyConfirm asks for "yes".
func applyConfirm(stdin io.Reader, out io.Writer) (bool, error) {
	fmt.Fprint(out, "\nDo you want to buy these instances? Only 'yes' will be accepted.\n  Enter a value: ")
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && line == "" {
		return false, fmt.Errorf("read answer: %w", err)
	}
	return strings.TrimSpace(line) == "yes", nil
}

func applyPrintDiags(out io.Writer, f *applyFlags, diags hcl.Diagnostics, sources map[string][]byte) {
	if f.json {
		_ = diagview.JSON(out, diags)
		return
	}
	_ = diagview.Human(out, diags, sources, applyWantColor(out))
}

// applyElapsed formats a duration for the summary.
func applyElapsed(d time.Duration) string {
	return d.Round(time.Millisecond).String()
}
