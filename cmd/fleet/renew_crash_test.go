package main

import (
	"errors"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"fleet/executor"
	"fleet/internal/cvmsim"
	"fleet/internal/state"
)

// renewCrashSpec is the fleet of the renewal crash test: 60 instances bought for one month
// by a simulator whose clock started 25 days ago, so that every one expires within
// renew_within_days and apply renews them all.
const renewCrashSpec = `fleet "renewcrash" {
  region = "ap-guangzhou"
}

defaults {
  instance_type = "CVM.S2"
  cpu           = 1
  mem           = 2
  image_id      = "img-31tjrtph"
  period        = 1
  zone_id       = 100003
}

group "web" {
  count             = 60
  renew             = "fleet"
  renew_within_days = 14
}
`

const renewCrashWant = 60

// TestRenewCrash kills the real fleet binary with SIGKILL at random moments of an apply that
// renews, against a simulator that keeps its data in a file (restarted now and then), holds
// its answers after the renewal and loses a fifth of them, runs apply again until it
// succeeds, and checks that every instance was renewed exactly once and that the state
// records the deadline the cloud has, with no renewal left in flight. FLEET_CRASH_TRIALS
// sets the number of trials (default 2; `make test-crash` runs 20).
func TestRenewCrash(t *testing.T) {
	trials, bin, seed := crashSettings(t)
	kills, inFlight, lost := 0, 0, 0
	for i := range trials {
		t.Run(strconv.Itoa(i), func(t *testing.T) {
			k, f, l := renewCrashTrial(t, bin, seed+uint64(i))
			kills += k
			inFlight += f
			lost += l
		})
	}
	t.Logf("%d trials: %d applies killed; they left %d renewals in flight, %d of them made by the cloud",
		trials, kills, inFlight, lost)
}

// renewCrashTrial runs one trial and returns how many applies it killed, how many renewals
// they left in flight, and how many of those the simulator had made.
func renewCrashTrial(t *testing.T, bin string, seed uint64) (kills, inFlight, lost int) {
	rng := rand.New(rand.NewPCG(seed, 0x7e4e))
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.fleet.hcl"), []byte(renewCrashSpec), 0o644); err != nil {
		t.Fatal(err)
	}
	cs := startCrashSim(t, cvmsim.Config{DataPath: filepath.Join(dir, "sim.json"), Seed: int64(seed), Start: time.Now().Add(-25 * 24 * time.Hour),
		Latency: 10 * time.Millisecond, Jitter: 30 * time.Millisecond, AnswerDelay: 100 * time.Millisecond,
		DropRate: 0.2, DropActions: []string{"RenewInstance"}})
	fleet := func(args ...string) *exec.Cmd {
		cmd := exec.Command(bin, args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(),
			envEndpoint+"="+cs.srv.URL+cvmsim.Path,
			envSecretID+"="+cvmsim.DemoSecretID,
			envKey+"="+cvmsim.DemoSecretKey,
			"NO_COLOR=1",
		)
		return cmd
	}
	if out, err := fleet("apply", "--auto-approve", "--rate", "0", "--wait").CombinedOutput(); err != nil {
		t.Fatalf("buy: %v\n%s", err, out)
	}
	before := map[string]time.Time{}
	for _, in := range cs.sim.Instances() {
		before[in.ID] = in.Deadline
	}
	if len(before) != renewCrashWant {
		t.Fatalf("bought %d instances, want %d", len(before), renewCrashWant)
	}

	kills = 1 + rng.IntN(4)
	for range kills {
		cmd := fleet("apply", "--auto-approve", "--rate", "0", "--parallelism", "4")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		waitFor(func() bool { return cs.sim.RequestCount("RenewInstance") > 0 }, 5*time.Second)
		time.Sleep(time.Duration(rng.IntN(1200)) * time.Millisecond)
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if rng.IntN(3) == 0 {
			cs.restart()
		}
	}
	if st, err := state.Read(filepath.Join(dir, stateFileName)); err == nil {
		for _, in := range st.Groups["web"].Instances {
			if in.Renewing != nil {
				inFlight++
				if cs.sim.RenewalCount(in.ID) > 0 {
					lost++
				}
			}
		}
	}
	for run := 1; ; run++ {
		// A renewal journaled before a kill, whose deadline has not moved, counts as not
		// made only executor.RenewSettle after it was journaled: let that time pass.
		if err := ageRenewals(filepath.Join(dir, stateFileName), executor.RenewSettle); err != nil {
			t.Fatal(err)
		}
		out, err := fleet("apply", "--auto-approve", "--rate", "0", "--parallelism", "4").CombinedOutput()
		if err == nil {
			break
		}
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != exitUnknown || run == 10 {
			t.Fatalf("apply run %d after the kills: %v\n%s", run, err, out)
		}
	}
	st, err := state.Read(filepath.Join(dir, stateFileName))
	if err != nil {
		t.Fatal(err)
	}
	if got := len(cs.sim.Instances()); got != renewCrashWant {
		t.Fatalf("the simulator sold %d instances, want %d", got, renewCrashWant)
	}
	for _, in := range cs.sim.Instances() {
		if n := cs.sim.RenewalCount(in.ID); n != 1 {
			t.Errorf("%s renewed %d times, want once", in.ID, n)
		}
		rec := st.Groups["web"].Instance(in.ID)
		want := in.Deadline.UTC().Truncate(time.Second)
		switch {
		case rec == nil:
			t.Errorf("%s is not recorded", in.ID)
		case rec.Renewing != nil:
			t.Errorf("%s still renewing: %+v", in.ID, rec.Renewing)
		case rec.Deadline == nil || !rec.Deadline.Equal(want):
			t.Errorf("%s: recorded deadline %v, the cloud's %v", in.ID, rec.Deadline, want)
		}
	}
	if inFlight > 0 && cs.sim.RequestCount("DescribeInstances") == 0 {
		t.Error("renewals were left in flight, and no deadline was read")
	}
	if out, err := fleet("plan", "--detailed-exitcode").CombinedOutput(); err != nil {
		t.Errorf("plan after the renewals: %v, want no changes\n%s", err, out)
	}
	return kills, inFlight, lost
}

// ageRenewals moves the time every renewal in flight of the state at path was journaled d
// back, as if d had passed.
func ageRenewals(path string, d time.Duration) error {
	st, err := state.Read(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	aged := false
	for _, g := range st.Groups {
		for _, in := range g.Instances {
			if in.Renewing != nil {
				in.Renewing.At = in.Renewing.At.Add(-d)
				aged = true
			}
		}
	}
	if !aged {
		return nil
	}
	return state.Write(path, st)
}
