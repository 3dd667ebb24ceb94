package main

import (
	"errors"
	"flag"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"fleet/internal/cvmsim"
	"fleet/internal/state"
)

// The script commands of the apply scripts:
//
//	sim-start [--busy-rate R] [--drop-rate R] [--latency D] [--seed N] [--data FILE] [--quota N]
//	    [--create-delay D] [--token-ttl D] [--fail-rate R] [--start-offset D]
//	    starts a simulator on 127.0.0.1 and points FLEET_ENDPOINT and the credentials at it;
//	    with --start-offset its clock starts that far from now and moves only by sim-advance
//	sim-stop
//	sim-count N           the simulator sold exactly N instances
//	state-check PATH [N]  the state (journal replayed) has no pending batch, records exactly
//	                      the instances the simulator sold, and N of them when N is given
//	wait-file PATH REGEXP waits (up to 60s) until the file exists and matches
//	apply-until-done N [ARGS...]
//	                      runs fleet apply --auto-approve ARGS until it exits 0, at most N times
//	pause DURATION        waits (at most 10s)
func init() {
	scriptCmds["sim-start"] = cmdSimStart
	scriptCmds["sim-stop"] = cmdSimStop
	scriptCmds["sim-count"] = cmdSimCount
	scriptCmds["state-check"] = cmdStateCheck
	scriptCmds["wait-file"] = cmdWaitFile
	scriptCmds["apply-until-done"] = cmdApplyUntilDone
	scriptCmds["pause"] = cmdPause
}

// cmdPause waits a moment, e.g. between two signals, which the system would merge if they
// were sent back to back.
func cmdPause(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: pause DURATION")
	}
	d, err := time.ParseDuration(args[0])
	ts.Check(err)
	if d > 10*time.Second {
		ts.Fatalf("pause: at most 10s")
	}
	time.Sleep(d)
}

// sims are the simulators of the running scripts.
var sims = struct {
	sync.Mutex
	m map[*testscript.TestScript]*scriptSim
}{m: map[*testscript.TestScript]*scriptSim{}}

type scriptSim struct {
	sim *cvmsim.Server
	srv *httptest.Server
}

func (s *scriptSim) close() error {
	s.srv.Close()
	return s.sim.Close()
}

func simOf(ts *testscript.TestScript) *scriptSim {
	sims.Lock()
	defer sims.Unlock()
	s := sims.m[ts]
	if s == nil {
		ts.Fatalf("no simulator: run sim-start first")
	}
	return s
}

func cmdSimStart(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("unsupported: ! sim-start")
	}
	fs := flag.NewFlagSet("sim-start", flag.ContinueOnError)
	busy := fs.Float64("busy-rate", 0, "")
	drop := fs.Float64("drop-rate", 0, "")
	latency := fs.Duration("latency", 0, "")
	seed := fs.Int64("seed", 1, "")
	data := fs.String("data", "", "")
	quota := fs.Int("quota", 0, "")
	createDelay := fs.Duration("create-delay", 0, "")
	tokenTTL := fs.Duration("token-ttl", 0, "")
	failRate := fs.Float64("fail-rate", 0, "")
	startOffset := fs.Duration("start-offset", 0, "")
	if err := fs.Parse(args); err != nil {
		ts.Fatalf("sim-start: %v", err)
	}
	cfg := cvmsim.Config{BusyRate: *busy, DropRate: *drop, Latency: *latency, Seed: *seed, Quota: *quota, CreateDelay: *createDelay, TokenTTL: *tokenTTL, FailRate: *failRate}
	if *data != "" {
		cfg.DataPath = ts.MkAbs(*data)
	}
	if *startOffset != 0 {
		// The simulated clock starts that far from now and stays there unless advanced.
		cfg.Start = time.Now().Add(*startOffset)
	}
	sim, err := cvmsim.New(cfg)
	ts.Check(err)
	s := &scriptSim{sim: sim, srv: httptest.NewServer(sim)} // httptest listens on 127.0.0.1
	sims.Lock()
	if old := sims.m[ts]; old != nil {
		sims.Unlock()
		ts.Fatalf("sim-start: a simulator is already running")
	}
	sims.m[ts] = s
	sims.Unlock()
	ts.Defer(func() {
		sims.Lock()
		if sims.m[ts] == s {
			delete(sims.m, ts)
			_ = s.close()
		}
		sims.Unlock()
	})
	ts.Setenv(envEndpoint, s.srv.URL+cvmsim.Path)
	ts.Setenv(envSecretID, cvmsim.DemoSecretID)
	ts.Setenv(envKey, cvmsim.DemoSecretKey)
}

func cmdSimStop(ts *testscript.TestScript, neg bool, args []string) {
	s := simOf(ts)
	sims.Lock()
	delete(sims.m, ts)
	sims.Unlock()
	ts.Check(s.close())
}

func cmdSimCount(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: sim-count N")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	got := len(simOf(ts).sim.Instances())
	if (got == want) == neg {
		ts.Fatalf("the simulator sold %d instances, want %s%d", got, map[bool]string{true: "not ", false: ""}[neg], want)
	}
	ts.Logf("the simulator sold %d instances", got)
}

func cmdStateCheck(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 || len(args) > 2 {
		ts.Fatalf("usage: state-check PATH [N]")
	}
	err := checkStateAgainstSim(ts.MkAbs(args[0]), simOf(ts).sim, args[1:])
	ts.Check(err)
}

// checkStateAgainstSim checks that the state has no pending batch and records exactly the
// instances the simulator sold, each once.
func checkStateAgainstSim(path string, sim *cvmsim.Server, want []string) error {
	st, err := state.Read(path)
	if err != nil {
		return err
	}
	recorded := map[string]int{}
	for name, g := range st.Groups {
		for _, b := range g.Batches {
			if b.Status == state.StatusPending {
				return fmt.Errorf("group %s batch %d is still pending", name, b.Seq)
			}
		}
		for _, in := range g.Instances {
			recorded[in.ID]++
		}
	}
	sold := map[string]bool{}
	for _, in := range sim.Instances() {
		sold[in.ID] = true
	}
	var missing, extra []string
	for id := range sold {
		if recorded[id] == 0 {
			missing = append(missing, id)
		}
	}
	for id, n := range recorded {
		if !sold[id] || n > 1 {
			extra = append(extra, id)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	if len(missing) > 0 || len(extra) > 0 {
		return fmt.Errorf("state and simulator disagree: sold but not recorded %v; recorded but not sold (or twice) %v", missing, extra)
	}
	if len(want) == 1 {
		n, err := strconv.Atoi(want[0])
		if err != nil {
			return err
		}
		if len(recorded) != n {
			return fmt.Errorf("the state records %d instances, want %d", len(recorded), n)
		}
	}
	return nil
}

func cmdWaitFile(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: wait-file PATH REGEXP")
	}
	re, err := regexp.Compile(args[1])
	ts.Check(err)
	path := ts.MkAbs(args[0])
	deadline := time.Now().Add(60 * time.Second)
	for {
		if b, err := os.ReadFile(path); err == nil && re.Match(b) {
			return
		}
		if time.Now().After(deadline) {
			ts.Fatalf("%s does not match %q after 60s", filepath.Base(path), args[1])
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func cmdApplyUntilDone(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 {
		ts.Fatalf("usage: apply-until-done N [ARGS...]")
	}
	n, err := strconv.Atoi(args[0])
	ts.Check(err)
	for i := 1; i <= n; i++ {
		err := ts.Exec("fleet", append([]string{"apply", "--auto-approve"}, args[1:]...)...)
		if err == nil {
			ts.Logf("apply succeeded on run %d", i)
			return
		}
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != exitUnknown {
			ts.Fatalf("run %d: %v, want success or exit %d (outcome unknown)", i, err, exitUnknown)
		}
		ts.Logf("run %d: exit %d, outcome unknown; running again", i, exitUnknown)
	}
	ts.Fatalf("apply did not succeed in %d runs", n)
}
