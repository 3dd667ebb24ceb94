package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"fleet/internal/cvmsim"
	"fleet/internal/pgtest"
	"fleet/internal/state"
	"fleet/internal/state/pgstore"
)

// crashSpec is the fleet of the crash test: 14 calls in 3 groups, 1195 instances.
const crashSpec = `fleet "crash" {
  region = "ap-guangzhou"%s
}

defaults {
  instance_type = "CVM.S2"
  cpu           = 1
  mem           = 2
  image_id      = "img-31tjrtph"
  period        = 1
  zone_id       = 100003
  key_id        = "skey-3glfot13"
}

group "a" {
  count = 530
}

group "b" {
  count = 45
}

group "c" {
  count = 620
}
`

const crashWant = 1195

// TestApplyCrash kills the real fleet binary with SIGKILL at random moments of an apply
// against a simulator that keeps its data in a file (and is itself restarted now and then)
// and holds its answers after the purchase (so kills often lose the answer of a purchase),
// runs apply again until it succeeds, and checks that exactly the desired instances were
// bought and all of them recorded. FLEET_CRASH_TRIALS sets the number of trials (default 2;
// `make test-crash` runs 20).
func TestApplyCrash(t *testing.T) {
	runCrashTrials(t)
}

// TestApplyCrashPostgres is TestApplyCrash with the state in PostgreSQL (a throwaway
// server, a database per trial).
func TestApplyCrashPostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test skipped in -short mode")
	}
	srv, err := pgtest.Start(pgtest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Stop() })
	runCrashTrials(t, srv)
}

// runCrashTrials runs the crash trials, with the state in a file, or in a database of srv
// when given.
func runCrashTrials(t *testing.T, srv ...*pgtest.Server) {
	trials, bin, seed := crashSettings(t)
	kills, midApply, lost := 0, 0, 0
	for i := range trials {
		t.Run(strconv.Itoa(i), func(t *testing.T) {
			pgURL := ""
			if len(srv) > 0 {
				u, err := srv[0].NewDatabase(fmt.Sprintf("crash_%d_%d", os.Getpid(), i))
				if err != nil {
					t.Fatal(err)
				}
				pgURL = u
			}
			k, m, l := crashTrial(t, bin, seed+uint64(i), pgURL)
			kills += k
			midApply += m
			lost += l
		})
	}
	t.Logf("%d trials: %d applies killed, %d of them with the journal open; %d purchases made whose answer the killed apply never read",
		trials, kills, midApply, lost)
}

// crashSettings skips a crash test in -short mode, and returns its number of trials
// (FLEET_CRASH_TRIALS, default 2), the fleet binary and the first trial's seed
// (FLEET_CRASH_SEED, default from the clock, logged so that a failure can be replayed).
func crashSettings(t *testing.T) (trials int, bin string, seed uint64) {
	if testing.Short() {
		t.Skip("crash test skipped in -short mode")
	}
	trials = 2
	if v := os.Getenv("FLEET_CRASH_TRIALS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			t.Fatalf("FLEET_CRASH_TRIALS=%q: want a number of trials", v)
		}
		trials = n
	}
	bin, err := exec.LookPath("fleet") // the test binary, installed as fleet by testscript.Main
	if err != nil {
		t.Fatal(err)
	}
	seed = uint64(time.Now().UnixNano())
	if v := os.Getenv("FLEET_CRASH_SEED"); v != "" {
		if seed, err = strconv.ParseUint(v, 10, 64); err != nil {
			t.Fatalf("FLEET_CRASH_SEED=%q: %v", v, err)
		}
	}
	t.Logf("FLEET_CRASH_SEED=%d", seed)
	return trials, bin, seed
}

// crashTrial runs one trial and returns how many applies it killed, how many of those with
// the journal open, and how many calls they left pending although the simulator had bought.
func crashTrial(t *testing.T, bin string, seed uint64, pgURL string) (kills, midApply, lost int) {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	dir := t.TempDir()
	backend := ""
	if pgURL != "" {
		backend = "\n  backend \"postgres\" {}"
	}
	if err := os.WriteFile(filepath.Join(dir, "main.fleet.hcl"), []byte(fmt.Sprintf(crashSpec, backend)), 0o644); err != nil {
		t.Fatal(err)
	}
	// journalOpen reports whether an apply left records that are not folded in yet.
	journalOpen := func() bool {
		if pgURL == "" {
			_, err := os.Stat(filepath.Join(dir, "fleet.state.journal"))
			return err == nil
		}
		st, err := crashState(dir, pgURL)
		return err == nil && st.Journaled > 0
	}
	// Most of each call's time passes after the purchase, while its answer is held, so that a
	// kill often lands between a purchase and the answer that reports it.
	cs := startCrashSim(t, cvmsim.Config{DataPath: filepath.Join(dir, "sim.json"), Seed: int64(seed), Latency: 20 * time.Millisecond,
		Jitter: 60 * time.Millisecond, AnswerDelay: 150 * time.Millisecond, DropRate: 0.1})

	apply := func() *exec.Cmd {
		cmd := exec.Command(bin, "apply", "--auto-approve", "--rate", "0", "--parallelism", "3")
		cmd.Dir = dir
		cmd.Env = append(os.Environ(),
			envEndpoint+"="+cs.srv.URL+cvmsim.Path,
			envSecretID+"="+cvmsim.DemoSecretID,
			envKey+"="+cvmsim.DemoSecretKey,
			envPGURL+"="+pgURL,
			"NO_COLOR=1",
		)
		return cmd
	}

	kills = 1 + rng.IntN(4)
	for range kills {
		cmd := apply()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		if rng.IntN(2) == 0 {
			time.Sleep(time.Duration(rng.IntN(1500)) * time.Millisecond)
		} else {
			// Once the first purchase is asked for, the apply is sending: kill it within 600ms.
			waitFor(func() bool { return cs.sim.RequestCount("RunInstances") > 0 }, 3*time.Second)
			time.Sleep(time.Duration(rng.IntN(600)) * time.Millisecond)
		}
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if rng.IntN(3) == 0 {
			cs.restart()
		}
		if journalOpen() {
			midApply++ // killed with the journal open: calls journaled, not yet folded
		}
	}
	if st, err := crashState(dir, pgURL); err == nil {
		for _, name := range st.GroupNames() {
			for _, b := range st.Group(name).PendingBatches() {
				if cs.sim.PurchaseCount(b.ClientToken) > 0 {
					lost++
				}
			}
		}
	}
	for run := 1; ; run++ {
		out, err := apply().CombinedOutput()
		if err == nil {
			break
		}
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != exitUnknown || run == 10 {
			t.Fatalf("apply run %d after the kills: %v\n%s", run, err, out)
		}
	}
	if got := len(cs.sim.Instances()); got != crashWant {
		t.Fatalf("the simulator sold %d instances, want %d", got, crashWant)
	}
	statePath := filepath.Join(dir, stateFileName)
	if pgURL != "" {
		st, err := crashState(dir, pgURL)
		if err != nil {
			t.Fatal(err)
		}
		statePath = filepath.Join(dir, "pulled.state.json")
		if err := state.Write(statePath, st); err != nil {
			t.Fatal(err)
		}
	}
	if err := checkStateAgainstSim(statePath, cs.sim, []string{fmt.Sprint(crashWant)}); err != nil {
		t.Fatal(err)
	}
	return kills, midApply, lost
}

// crashSim is a simulator on 127.0.0.1 that keeps its data in a file, so that it can be
// restarted from it, as a real API outlives the processes that call it.
type crashSim struct {
	t   *testing.T
	cfg cvmsim.Config
	sim *cvmsim.Server
	srv *httptest.Server
}

// startCrashSim starts a crashSim, stopped when the test ends.
func startCrashSim(t *testing.T, cfg cvmsim.Config) *crashSim {
	cs := &crashSim{t: t, cfg: cfg}
	cs.start()
	t.Cleanup(cs.stop)
	return cs
}

func (cs *crashSim) start() {
	sim, err := cvmsim.New(cs.cfg)
	if err != nil {
		cs.t.Fatal(err)
	}
	cs.sim, cs.srv = sim, httptest.NewServer(sim)
}

func (cs *crashSim) stop() {
	cs.srv.Close()
	if err := cs.sim.Close(); err != nil {
		cs.t.Fatal(err)
	}
}

// restart stops the simulator and starts it again from its data file.
func (cs *crashSim) restart() {
	cs.stop()
	cs.start()
}

// crashState reads the state of the crash trial in dir: its file, or its database.
func crashState(dir, pgURL string) (*state.State, error) {
	if pgURL == "" {
		return state.Read(filepath.Join(dir, stateFileName))
	}
	s, err := pgstore.Open(pgURL, "", "crash")
	if err != nil {
		return nil, err
	}
	defer s.Close()
	return s.Read(context.Background())
}

// waitFor waits until ok reports true or the timeout has passed.
func waitFor(ok func() bool, timeout time.Duration) {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) && !ok() {
		time.Sleep(5 * time.Millisecond)
	}
}
