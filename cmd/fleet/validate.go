package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"fleet/internal/diagview"
	"fleet/spec"

	"github.com/fatih/color"
	"github.com/hashicorp/hcl/v2"
	"github.com/mattn/go-isatty"
	"github.com/spf13/cobra"
)

func init() {
	register(func(g *globals) *cobra.Command {
		var asJSON bool
		var format string
		cmd := &cobra.Command{
			Use:   "validate [DIR]",
			Short: "Parse and check the spec; no state, no network",
			Long: `Validate reads every *.fleet.hcl and *.fleet.json file of DIR (default ".") and
reports every problem of every file at its file, line and column. It reads no state and
makes no network call.

Exit status: 0 when the spec has no errors (warnings alone are fine), 1 otherwise.`,
			Args: cobra.MaximumNArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				if asJSON {
					if cmd.Flags().Changed("format") && format != "json" {
						return fmt.Errorf("--json and --format %s conflict", format)
					}
					format = "json"
				}
				switch format {
				case "human", "json", "github":
				default:
					return fmt.Errorf("invalid --format %q: want human, json or github", format)
				}
				return runValidate(g, cmd.OutOrStdout(), specDir(args), format)
			},
		}
		cmd.Flags().BoolVar(&asJSON, "json", false, "print the diagnostics as a JSON document (same as --format json)")
		cmd.Flags().StringVar(&format, "format", "human", "output format: human, json or github")
		return cmd
	})
}

// githubAnnotationLimit is the most annotations of one severity that --format github prints.
const githubAnnotationLimit = 10

// githubOptions returns how --format github annotates: at most githubAnnotationLimit of
// each severity, file names relative to the repository root ($GITHUB_WORKSPACE) when the
// job runs in a directory below it, and the step summary ($GITHUB_STEP_SUMMARY) named as
// the place that lists the annotations left out.
func githubOptions() diagview.GitHubOptions {
	o := diagview.GitHubOptions{Limit: githubAnnotationLimit}
	if ws := os.Getenv("GITHUB_WORKSPACE"); ws != "" {
		if wd, err := os.Getwd(); err == nil {
			o.Workspace, o.Workdir = realPath(ws), realPath(wd)
		}
	}
	if os.Getenv("GITHUB_STEP_SUMMARY") != "" {
		o.Summary = "the step summary"
	}
	return o
}

// realPath returns p absolute with its symbolic links resolved, or as absolute as it gets.
func realPath(p string) string {
	if abs, err := filepath.Abs(p); err == nil {
		p = abs
	}
	if r, err := filepath.EvalSymlinks(p); err == nil {
		return r
	}
	return p
}

// githubAnnotate writes diags as GitHub annotations (githubOptions) and appends the ones
// left out by the limit to the step summary, under title, when $GITHUB_STEP_SUMMARY names one.
func githubAnnotate(out io.Writer, diags hcl.Diagnostics, title string) error {
	o := githubOptions()
	left, err := diagview.GitHubWith(out, diags, o)
	if err != nil {
		return err
	}
	path := os.Getenv("GITHUB_STEP_SUMMARY")
	if path == "" || len(left) == 0 {
		return nil
	}
	var b bytes.Buffer
	if err := diagview.GitHubSummary(&b, title, left, o); err != nil {
		return err
	}
	return appendFile(path, b.Bytes())
}

// runValidate loads the spec of dir and prints its diagnostics in format.
func runValidate(g *globals, out io.Writer, dir, format string) error {
	files, in, err := g.readSpec(dir)
	if err != nil && format != "human" {
		// A program reads this output: it gets the document it asked for, with the reason
		// as a diagnostic without a place.
		diags := hcl.Diagnostics{spec.WithCode("spec-files", &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Cannot read the spec",
			Detail:   fmt.Sprintf("%v. Run fleet validate in a directory of *.fleet.hcl or *.fleet.json files, or name one.", err),
		})}
		if format == "json" {
			err = diagview.JSON(out, diags)
		} else {
			err = githubAnnotate(out, diags, "fleet validate")
		}
		if err != nil {
			return fmt.Errorf("write diagnostics: %w", err)
		}
		return silentExit(exitError)
	}
	if err != nil {
		return err
	}
	fl, diags := spec.Load(files, in)
	switch format {
	case "json":
		err = diagview.JSON(out, diags)
	case "github":
		err = githubAnnotate(out, diags, "fleet validate")
	default:
		sources := specSources(files)
		err = diagview.Human(out, diags, sources, wantColor(out))
		if err == nil && !diags.HasErrors() {
			err = printValid(out, fl)
		}
	}
	if err != nil {
		return fmt.Errorf("write diagnostics: %w", err)
	}
	if diags.HasErrors() {
		return silentExit(exitError)
	}
	return nil
}

// printValid writes the line that tells a person the spec passed.
func printValid(out io.Writer, fl *spec.Fleet) error {
	groups, instances := 0, 0
	if fl != nil {
		groups = len(fl.Groups)
		for _, gr := range fl.Groups {
			instances += gr.Count
		}
	}
	_, err := fmt.Fprintf(out, "The spec is valid: %s, %s.\n", countNoun(groups, "group"), countNoun(instances, "instance"))
	return err
}

// countNoun returns n followed by noun, made plural with an s unless n is 1: "1 group",
// "3 instances".
func countNoun(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// specSources maps each spec file's name to its bytes, for the source lines of human output.
// Variable files are left out on purpose: they are where secret values live, and a
// diagnostic about one is shown with its location only.
func specSources(files []spec.File) map[string][]byte {
	m := make(map[string][]byte, len(files))
	for _, f := range files {
		m[f.Name] = f.Src
	}
	return m
}

// wantColor reports whether output to w may be coloured: w is a terminal and neither
// --no-color nor NO_COLOR was given (both set color.NoColor).
func wantColor(w io.Writer) bool {
	if color.NoColor || os.Getenv("NO_COLOR") != "" {
		return false
	}
	f, ok := w.(*os.File)
	return ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
}
