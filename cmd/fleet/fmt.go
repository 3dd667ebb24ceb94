package main

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"fleet/internal/atomicfile"
	"fleet/internal/diagview"
	"fleet/internal/textdiff"
	"fleet/spec"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/spf13/cobra"
)

func init() {
	register(func(g *globals) *cobra.Command {
		var o fmtOptions
		cmd := &cobra.Command{
			Use:   "fmt [PATH...]",
			Short: "Rewrite spec files in the canonical format",
			Long: `Fmt rewrites *.fleet.hcl files in the canonical HCL format. Each PATH is a file or
a directory (default "."); a directory means its *.fleet.hcl files (with --recursive, those
of its subdirectories too). A file named explicitly may be any *.hcl file, a variable file
for instance; JSON files are left alone. "-" formats standard input to standard output.

Without flags, fmt rewrites the files that change and lists them. --check changes nothing
and exits 3 when a file would change, listing those files. --diff prints a unified diff of
each change (and still rewrites the file unless --check is given).

A file with syntax errors is reported and left as it is; fmt then exits 1.`,
			RunE: func(cmd *cobra.Command, args []string) error {
				o.stdin = cmd.InOrStdin()
				o.stdout = cmd.OutOrStdout()
				o.stderr = cmd.ErrOrStderr()
				return runFmt(&o, args)
			},
		}
		f := cmd.Flags()
		f.BoolVar(&o.check, "check", false, "change nothing; exit 3 when a file is not formatted")
		f.BoolVar(&o.diff, "diff", false, "print a unified diff of each change")
		f.BoolVarP(&o.recursive, "recursive", "r", false, "also format the subdirectories of directories")
		return cmd
	})
}

// fmtOptions are the flags and streams of fleet fmt.
type fmtOptions struct {
	check, diff, recursive bool
	stdin                  io.Reader
	stdout, stderr         io.Writer
}

// fmtResult is the outcome of formatting one file.
type fmtResult int

const (
	fmtSame    fmtResult = iota // already canonical
	fmtChanged                  // would change, or was rewritten
	fmtBroken                   // has syntax errors; left alone
)

// runFmt formats every file the paths stand for and returns the exit status as an error.
func runFmt(o *fmtOptions, paths []string) error {
	if len(paths) == 0 {
		paths = []string{"."}
	}
	var files []string
	for _, p := range paths {
		if p == "-" {
			files = append(files, p)
			continue
		}
		found, err := fmtTargets(p, o.recursive)
		if err != nil {
			return err
		}
		files = append(files, found...)
	}
	var changed, broken int
	for _, name := range files {
		res, err := fmtFile(o, name)
		if err != nil {
			return err
		}
		switch res {
		case fmtChanged:
			changed++
		case fmtBroken:
			broken++
		}
	}
	switch {
	case broken > 0:
		return silentExit(exitError)
	case o.check && changed > 0:
		return silentExit(exitFmtCheck)
	}
	return nil
}

// fmtTargets returns the files that path stands for: the file itself, or the *.fleet.hcl
// files of a directory. JSON files are left out.
func fmtTargets(path string, recursive bool) ([]string, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("format %s: %w", path, err)
	}
	if !info.IsDir() {
		switch {
		case strings.HasSuffix(path, ".json"):
			return nil, nil
		case !strings.HasSuffix(path, ".hcl"):
			return nil, fmt.Errorf("format %s: not an HCL file (*.fleet.hcl, or a variable file *.hcl)", path)
		}
		return []string{path}, nil
	}
	var out []string
	err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != path && !recursive {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(d.Name(), ".fleet.hcl") && d.Type().IsRegular() {
			out = append(out, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("format %s: %w", path, err)
	}
	return out, nil
}

// fmtFile formats one file (or standard input for "-") as the options say.
func fmtFile(o *fmtOptions, name string) (fmtResult, error) {
	var src []byte
	var err error
	if name == "-" {
		src, err = io.ReadAll(o.stdin)
		name = "<stdin>"
	} else {
		src, err = os.ReadFile(name)
	}
	if err != nil {
		return fmtSame, fmt.Errorf("format %s: %w", name, err)
	}
	_, diags := hclsyntax.ParseConfig(src, name, hcl.InitialPos)
	if diags.HasErrors() {
		for _, d := range diags {
			spec.WithCode("syntax", d)
		}
		if err := diagview.Human(o.stderr, diags, map[string][]byte{name: src}, wantColor(o.stderr)); err != nil {
			return fmtBroken, fmt.Errorf("write diagnostics: %w", err)
		}
		return fmtBroken, nil
	}
	out := hclwrite.Format(src)
	if name == "<stdin>" {
		if o.diff {
			if _, err := io.WriteString(o.stdout, textdiff.Unified(name, name, string(src), string(out))); err != nil {
				return fmtSame, fmt.Errorf("write diff of %s: %w", name, err)
			}
		}
		if !o.check && !o.diff {
			if _, err := o.stdout.Write(out); err != nil {
				return fmtSame, fmt.Errorf("write formatted %s: %w", name, err)
			}
		}
		if bytes.Equal(src, out) {
			return fmtSame, nil
		}
		return fmtChanged, nil
	}
	if bytes.Equal(src, out) {
		return fmtSame, nil
	}
	if _, err := fmt.Fprintln(o.stdout, name); err != nil {
		return fmtChanged, fmt.Errorf("list %s: %w", name, err)
	}
	if o.diff {
		if _, err := io.WriteString(o.stdout, textdiff.Unified(name, name, string(src), string(out))); err != nil {
			return fmtChanged, fmt.Errorf("write diff of %s: %w", name, err)
		}
	}
	if !o.check {
		if err := writeFileAtomic(name, out); err != nil {
			return fmtChanged, err
		}
	}
	return fmtChanged, nil
}

// writeFileAtomic replaces the file at path with data, keeping the old file's mode.
func writeFileAtomic(path string, data []byte) error {
	info, err := os.Stat(path)
	if err == nil {
		err = atomicfile.Write(path, data, info.Mode().Perm())
	}
	if err != nil {
		return fmt.Errorf("rewrite %s: %w", path, err)
	}
	return nil
}
