// Command fleet buys and keeps prepaid Tencent Cloud CVM instances described in HCL files.
//
// This package owns the process: flags, environment, files, the clock and exit codes. The
// work itself is done by spec, planner and executor.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/fatih/color"
	"github.com/spf13/cobra"
)

// Exit codes, as documented in the README.
const (
	exitOK        = 0
	exitError     = 1
	exitChanges   = 2 // plan --detailed-exitcode: the plan has changes
	exitFmtCheck  = 3 // fmt --check: files would change
	exitUnknown   = 4 // apply stopped with purchases or renewals whose outcome is unknown
	stateFileName = "fleet.state.json"
)

// exitCode is an error that carries the process exit code. A nil err means that everything
// the user needs to know was already printed.
type exitCode struct {
	code int
	err  error
}

// Error returns the message of the wrapped error, or names the exit code.
func (e *exitCode) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}

// Unwrap returns the wrapped error, for errors.Is and errors.As.
func (e *exitCode) Unwrap() error { return e.err }

// silentExit returns an error that makes fleet exit with code without printing more.
func silentExit(code int) error { return &exitCode{code: code} }

// globals are the flags every command shares.
type globals struct {
	statePath   string
	vars        []string
	varFiles    []string
	noColor     bool
	lockTimeout time.Duration
	dir         string // --chdir: the spec directory of commands whose arguments are not one
}

// chdir returns the spec directory of commands whose positional arguments are not a DIR.
func (g *globals) chdir() string {
	if g.dir == "" {
		return "."
	}
	return g.dir
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run executes the fleet command line and returns the exit code.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	g := &globals{}
	root := newRootCmd(g)
	root.SetArgs(longFlags(args))
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.Execute()
	if err == nil {
		return exitOK
	}
	var ec *exitCode
	if errors.As(err, &ec) {
		if ec.err != nil {
			fmt.Fprintf(stderr, "Error: %v\n", ec.err)
		}
		return ec.code
	}
	fmt.Fprintf(stderr, "Error: %v\n", err)
	return exitError
}

// longFlags rewrites the single-dash long flags Terraform users type (-out=plan,
// -auto-approve, -var-file=x, -lock-timeout=30s) to their -- form. A dash and one letter is
// a shorthand and stays; so does anything after a bare "--", and anything that does not
// start with a dash and a letter (a negative number, a lone "-").
func longFlags(args []string) []string {
	out := make([]string, len(args))
	copy(out, args)
	for i, a := range out {
		if a == "--" {
			break
		}
		name, _, _ := strings.Cut(a, "=")
		if len(name) > 2 && name[0] == '-' && isLetter(name[1]) {
			out[i] = "-" + a
		}
	}
	return out
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// newRootCmd returns the fleet command with its global flags and every registered command.
func newRootCmd(g *globals) *cobra.Command {
	root := &cobra.Command{
		Use:   "fleet",
		Short: "Buy and keep prepaid Tencent Cloud CVM instances described in HCL",
		Long: `fleet buys and keeps prepaid (包年包月) Tencent Cloud CVM instances through the legacy
CVM API. Describe instance groups in *.fleet.hcl files; "fleet plan" shows what will be
bought, "fleet apply" buys it with deterministic client tokens so that a re-run never buys
twice.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRun: func(cmd *cobra.Command, args []string) {
			if g.noColor || os.Getenv("NO_COLOR") != "" {
				color.NoColor = true
			}
		},
	}
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return &exitCode{code: exitError, err: fmt.Errorf("%w (see '%s --help')", err, cmd.CommandPath())}
	})
	pf := root.PersistentFlags()
	pf.BoolVar(&g.noColor, "no-color", false, "no colour in output (also NO_COLOR)")
	pf.StringVar(&g.dir, "chdir", "", "the spec directory of commands that take no DIR argument (import, state show|rm|mv)")

	for _, add := range commands {
		cmd := add(g)
		g.addCommonFlags(cmd)
		completeFormat(cmd)
		root.AddCommand(cmd)
	}
	return root
}

// The common flags a command may use: the spec's variables, and the state with its lock.
const (
	flagsVars  = 1 << iota // --var, --var-file
	flagsState             // --state, --lock-timeout
)

// commonFlags says which common flags each command uses: those that read the spec take its
// variables, those that read or write the state take --state and --lock-timeout. A command
// not listed (fmt, show, sim, version) takes none, so that its help shows only what it uses.
var commonFlags = map[string]int{
	"validate":     flagsVars,
	"plan":         flagsVars | flagsState,
	"apply":        flagsVars | flagsState,
	"import":       flagsVars | flagsState,
	"refresh":      flagsVars | flagsState,
	"output":       flagsVars | flagsState,
	"state":        flagsVars | flagsState,
	"force-unlock": flagsVars | flagsState,
}

// formats are the values of --format, per command, for shell completion.
var formats = map[string][]string{
	"plan":     {"human", "json", "markdown", "github"},
	"validate": {"human", "json", "github"},
}

// completeFormat completes the values of cmd's --format flag, when it has one.
func completeFormat(cmd *cobra.Command) {
	values, ok := formats[cmd.Name()]
	if !ok || cmd.Flags().Lookup("format") == nil {
		return
	}
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions(values, cobra.ShellCompDirectiveNoFileComp))
}

// addCommonFlags binds to cmd the common flags it uses (commonFlags), for its subcommands
// too.
func (g *globals) addCommonFlags(cmd *cobra.Command) {
	which := commonFlags[cmd.Name()]
	f := cmd.PersistentFlags()
	if which&flagsState != 0 {
		f.StringVar(&g.statePath, "state", "", "state file (default DIR/"+stateFileName+")")
		f.DurationVar(&g.lockTimeout, "lock-timeout", 0, "how long to wait for the state lock")
	}
	if which&flagsVars != 0 {
		f.StringArrayVar(&g.vars, "var", nil, "set a variable: NAME=VALUE (repeatable)")
		f.StringArrayVar(&g.varFiles, "var-file", nil, "read variable values from an HCL file (repeatable)")
	}
}

// commands are the constructors of the subcommands; each command's file registers its own
// in an init function, so that commands can be added without touching this file.
var commands []func(*globals) *cobra.Command

// register adds a command constructor; command files call it from init.
func register(f func(*globals) *cobra.Command) { commands = append(commands, f) }
