package main

import (
	"fmt"
	"maps"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"fleet/internal/pgtest"
)

// TestPostgresScripts runs the scripts of testdata/script-pg, whose specs keep their state
// in PostgreSQL: one throwaway server for all of them, a database of its own for each, named
// by FLEET_PG_URL (and, for a second database, FLEET_PG_URL2). Without the server binaries
// the test fails: it never skips.
func TestPostgresScripts(t *testing.T) {
	runPostgresScripts(t, "../../testdata/script-pg")
}

// TestPostgresRestartScripts runs the scripts that restart the server, on a server of their
// own: the other scripts run in parallel.
func TestPostgresRestartScripts(t *testing.T) {
	runPostgresScripts(t, "../../testdata/script-pgrestart")
}

func runPostgresScripts(t *testing.T, dir string) {
	srv, err := pgtest.Start(pgtest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Stop() })
	var n atomic.Int64
	testscript.Run(t, testscript.Params{
		Dir:                 dir,
		Cmds:                pgScriptCmds(srv),
		UpdateScripts:       *update,
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
		Setup: func(env *testscript.Env) error {
			env.Setenv("NO_COLOR", "1")
			for _, name := range []string{"FLEET_PG_URL", "FLEET_PG_URL2"} {
				u, err := srv.NewDatabase(fmt.Sprintf("script_%d", n.Add(1)))
				if err != nil {
					return err
				}
				env.Setenv(name, u)
			}
			return nil
		},
	})
}

// pgScriptCmds are the script commands, with those of the PostgreSQL scripts:
//
//	pg-kill-sessions     ends every session of fleet in the script's database (pg_terminate_backend)
//	pg-restart           restarts the server as after a crash (pg_ctl restart -m immediate)
//	sim-wait-sold N      waits (up to 10s) until the simulator sold at least N instances
func pgScriptCmds(srv *pgtest.Server) map[string]func(*testscript.TestScript, bool, []string) {
	cmds := maps.Clone(scriptCmds)
	cmds["pg-kill-sessions"] = func(ts *testscript.TestScript, neg bool, args []string) {
		u, err := url.Parse(ts.Getenv("FLEET_PG_URL"))
		ts.Check(err)
		db := strings.TrimPrefix(u.Path, "/")
		ts.Check(srv.Exec(fmt.Sprintf("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'fleet' AND datname = '%s'", db)))
	}
	cmds["pg-restart"] = func(ts *testscript.TestScript, neg bool, args []string) {
		ts.Check(srv.Restart("immediate"))
	}
	cmds["sim-wait-sold"] = func(ts *testscript.TestScript, neg bool, args []string) {
		if neg || len(args) != 1 {
			ts.Fatalf("usage: sim-wait-sold N")
		}
		want, err := strconv.Atoi(args[0])
		ts.Check(err)
		sim := simOf(ts).sim
		for deadline := time.Now().Add(10 * time.Second); len(sim.Instances()) < want; time.Sleep(5 * time.Millisecond) {
			if time.Now().After(deadline) {
				ts.Fatalf("the simulator sold %d instances, want at least %d", len(sim.Instances()), want)
			}
		}
	}
	return cmds
}
