package main

import (
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"

	"fleet/internal/state"
	"fleet/planner"
	"fleet/spec"
)

func init() {
	// expect-exit CODE PROG ARGS... runs a program like exec and checks its exact exit code;
	// stdout and stderr are kept for the commands that follow.
	scriptCmds["expect-exit"] = func(ts *testscript.TestScript, neg bool, args []string) {
		if neg || len(args) < 2 {
			ts.Fatalf("usage: expect-exit CODE PROG [ARGS...]")
		}
		want, err := strconv.Atoi(args[0])
		if err != nil {
			ts.Fatalf("expect-exit: bad code %q", args[0])
		}
		got := 0
		var ee *exec.ExitError
		if err := ts.Exec(args[1], args[2:]...); errors.As(err, &ee) {
			got = ee.ExitCode()
		} else if err != nil {
			ts.Fatalf("expect-exit: %v", err)
		}
		if got != want {
			ts.Fatalf("%s exited with %d, want %d", args[1], got, want)
		}
	}

	// plan-stale [--var NAME=VALUE]... PLANFILE DIR [TEXT...] decodes a saved plan and
	// compares it with the spec of DIR, the variable values given and DIR's state, as apply
	// does. It fails unless the plan is stale and the message holds every TEXT; negated, it
	// fails if the plan is stale.
	scriptCmds["plan-stale"] = func(ts *testscript.TestScript, neg bool, args []string) {
		in := spec.Inputs{Vars: map[string]string{}}
		for len(args) >= 2 && args[0] == "--var" {
			name, value, _ := strings.Cut(args[1], "=")
			in.Vars[name] = value
			args = args[2:]
		}
		if len(args) < 2 {
			ts.Fatalf("usage: plan-stale [--var NAME=VALUE]... PLANFILE DIR [TEXT...]")
		}
		b, err := os.ReadFile(ts.MkAbs(args[0]))
		ts.Check(err)
		pf, err := planner.DecodeFile(b)
		ts.Check(err)
		dir := ts.MkAbs(args[1])
		files, err := readSpecDir(dir)
		ts.Check(err)
		f, diags := spec.Load(files, in)
		if f == nil {
			ts.Fatalf("load spec: %v", diags)
		}
		st, err := state.Read(filepath.Join(dir, stateFileName))
		if errors.Is(err, fs.ErrNotExist) {
			st, err = nil, nil
		}
		ts.Check(err)
		err = pf.Stale(st, files, f.Vars)
		switch {
		case neg && err != nil:
			ts.Fatalf("plan is stale: %v", err)
		case neg:
			return
		case err == nil:
			ts.Fatalf("plan is not stale")
		case !errors.Is(err, planner.ErrStale):
			ts.Fatalf("stale check: %v", err)
		}
		ts.Logf("%v", err)
		for _, want := range args[2:] {
			if !strings.Contains(err.Error(), want) {
				ts.Fatalf("%v\ndoes not say %q", err, want)
			}
		}
	}
}
