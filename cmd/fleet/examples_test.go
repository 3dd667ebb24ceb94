package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"fleet/internal/cvmsim"
	"fleet/internal/diagview"
	"fleet/internal/pgtest"
	"fleet/internal/planview"
)

// exampleVars are the values the examples need from outside, as a user would give them.
var exampleVars = map[string]string{"FLEET_VAR_admin_password": "Build-Passw0rd!"}

// TestExamples validates every example with no errors, plans it against no state (an
// applyable purchase, nothing written), checks that it is formatted, and applies it as
// shipped against a simulator that has the example's fixtures: the instances planned are
// bought, and a second plan buys nothing.
func TestExamples(t *testing.T) {
	dirs, err := filepath.Glob("../../examples/*")
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range exampleVars {
		t.Setenv(k, v)
	}
	var pg lazyPG
	defer pg.stop(t)
	var n int
	for _, dir := range dirs {
		if info, err := os.Stat(dir); err != nil || !info.IsDir() {
			continue
		}
		n++
		t.Run(filepath.Base(dir), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := run([]string{"validate", "--json", dir}, nil, &stdout, &stderr); code != 0 {
				t.Errorf("fleet validate %s: exit %d\n%s%s", dir, code, stdout.String(), stderr.String())
			}
			var doc diagview.Document
			if err := json.Unmarshal(stdout.Bytes(), &doc); err != nil {
				t.Fatalf("validate --json output: %v", err)
			}
			for _, d := range doc.Diagnostics {
				t.Errorf("%s %s: %s (%s)", d.Severity, d.Code, d.Summary, d.Detail)
			}
			stdout.Reset()
			statePath := filepath.Join(t.TempDir(), "fleet.state.json")
			args := []string{"plan", "--json", "--state", statePath, dir}
			if usesPostgres(t, dir) {
				// The state of such a spec is in PostgreSQL: an empty database of its own.
				t.Setenv(envPGURL, pg.database(t))
				args = []string{"plan", "--json", dir}
			}
			if code := run(args, nil, &stdout, &stderr); code != 0 {
				t.Errorf("fleet plan %s: exit %d\n%s%s", dir, code, stdout.String(), stderr.String())
			}
			var plan planview.Document
			if err := json.Unmarshal(stdout.Bytes(), &plan); err != nil {
				t.Fatalf("plan --json output: %v", err)
			}
			if !plan.Applyable || plan.Summary.Purchase == 0 || plan.Summary.Calls == 0 {
				t.Errorf("plan of %s: applyable %v, %d instances in %d calls; want an applyable purchase",
					dir, plan.Applyable, plan.Summary.Purchase, plan.Summary.Calls)
			}
			if _, err := os.Stat(statePath); !os.IsNotExist(err) {
				t.Errorf("plan wrote the state %s (stat: %v)", statePath, err)
			}
			stdout.Reset()
			if code := run([]string{"fmt", "--check", "--diff", dir}, nil, &stdout, &stderr); code != 0 {
				t.Errorf("fleet fmt --check %s: exit %d\n%s%s", dir, code, stdout.String(), stderr.String())
			}
			applyExample(t, dir, args, plan.Summary.Purchase)
		})
	}
	if n < 3 {
		t.Errorf("found %d examples, want at least 3", n)
	}
}

// applyExample applies the example in dir against a new simulator with the example's
// fixtures, checks that it bought want instances, and plans again with planArgs (the plan
// command that ran before, same state) to check that nothing is left to buy.
func applyExample(t *testing.T, dir string, planArgs []string, want int) {
	t.Helper()
	cfg := cvmsim.Config{Seed: 1}
	if path := filepath.Join(dir, exampleFixtures); fileExists(path) {
		src, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		fx, err := cvmsim.ParseFixtures(path, src)
		if err != nil {
			t.Fatal(err)
		}
		fx.Apply(&cfg)
	}
	sim, err := cvmsim.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim) // listens on 127.0.0.1
	defer func() {
		srv.Close()
		sim.Close()
	}()
	t.Setenv(envEndpoint, srv.URL+cvmsim.Path)
	t.Setenv(envSecretID, cvmsim.DemoSecretID)
	t.Setenv(envKey, cvmsim.DemoSecretKey)

	// The plan's arguments with apply in place of plan --json: the same state, the same spec.
	args := []string{"apply", "--auto-approve"}
	for _, a := range planArgs[1:] {
		if a != "--json" {
			args = append(args, a)
		}
	}
	var stdout, stderr bytes.Buffer
	if code := run(args, nil, &stdout, &stderr); code != 0 {
		t.Fatalf("fleet %v: exit %d\n%s%s", args, code, stdout.String(), stderr.String())
	}
	if got := len(sim.Instances()); got != want {
		t.Errorf("the simulator has %d instances after apply, want %d\n%s", got, want, stdout.String())
	}
	stdout.Reset()
	if code := run(planArgs, nil, &stdout, &stderr); code != 0 {
		t.Fatalf("fleet %v after apply: exit %d\n%s%s", planArgs, code, stdout.String(), stderr.String())
	}
	var plan planview.Document
	if err := json.Unmarshal(stdout.Bytes(), &plan); err != nil {
		t.Fatalf("plan --json output: %v", err)
	}
	if plan.Summary.Purchase != 0 || plan.Summary.Calls != 0 {
		t.Errorf("plan after apply: %d instances in %d calls; want nothing to buy", plan.Summary.Purchase, plan.Summary.Calls)
	}
}

// exampleFixtures is the file in an example's directory with what the simulator needs to
// apply it (`fleet sim --fixtures`).
const exampleFixtures = "sim-fixtures.json"

// fileExists reports whether path names an existing file.
func fileExists(path string) bool {
	info, err := os.Stat(path)
	return err == nil && !info.IsDir()
}

// TestExampleWindowsNeedsPassword checks that the Windows example asks for its password
// when none is given, instead of buying with none.
func TestExampleWindowsNeedsPassword(t *testing.T) {
	t.Setenv("FLEET_VAR_admin_password", "")
	os.Unsetenv("FLEET_VAR_admin_password")
	var stdout, stderr bytes.Buffer
	if code := run([]string{"validate", "--json", "../../examples/windows"}, nil, &stdout, &stderr); code != 1 {
		t.Fatalf("exit %d, want 1\n%s%s", code, stdout.String(), stderr.String())
	}
	var doc diagview.Document
	if err := json.Unmarshal(stdout.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Diagnostics) == 0 || doc.Diagnostics[0].Code != "variable-value" {
		t.Errorf("diagnostics = %+v, want variable-value first", doc.Diagnostics)
	}
}

// usesPostgres reports whether the spec in dir keeps its state in PostgreSQL.
func usesPostgres(t *testing.T, dir string) bool {
	files, err := readSpecDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if bytes.Contains(f.Src, []byte(`backend "postgres"`)) {
			return true
		}
	}
	return false
}

// lazyPG is a throwaway server started on first use, for the examples that keep their state
// in PostgreSQL.
type lazyPG struct {
	srv *pgtest.Server
	n   int
}

// database returns the URL of a new, empty database, starting the server if needed.
func (p *lazyPG) database(t *testing.T) string {
	t.Helper()
	if p.srv == nil {
		srv, err := pgtest.Start(pgtest.Options{})
		if err != nil {
			t.Fatal(err)
		}
		p.srv = srv
	}
	p.n++
	u, err := p.srv.NewDatabase(fmt.Sprintf("example_%d", p.n))
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func (p *lazyPG) stop(t *testing.T) {
	if p.srv != nil {
		if err := p.srv.Stop(); err != nil {
			t.Error(err)
		}
	}
}
