package main

import (
	"flag"
	"os"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// update is this package's one -update flag: it rewrites the expected output sections of the
// scripts (the second file of a failing `cmp` when it lives in the script) and any golden file
// of this package's tests.
var update = flag.Bool("update", false, "rewrite expected output and golden files")

// scriptCmds are extra commands for the end-to-end scripts. Test files of this package add
// their own in init functions, e.g. scriptCmds["sim-start"] = ....
var scriptCmds = map[string]func(ts *testscript.TestScript, neg bool, args []string){}

// TestMain lets the test binary act as the fleet command inside the scripts.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"fleet": func() { os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) },
	})
}

// TestScripts runs the CLI end-to-end scripts in testdata/script with the real fleet command.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "../../testdata/script",
		Cmds:                scriptCmds,
		UpdateScripts:       *update,
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
		Setup: func(env *testscript.Env) error {
			// Output must not depend on the terminal or the user's settings.
			env.Setenv("NO_COLOR", "1")
			return nil
		},
	})
}
