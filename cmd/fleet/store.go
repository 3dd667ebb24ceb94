package main

import (
	"errors"
	"fmt"
	"os"
	"time"

	"fleet/executor"
	"fleet/internal/cvm"
	"fleet/internal/state"
	"fleet/internal/state/pgstore"
	"fleet/internal/workflow"
	"fleet/spec"
)

// envPGURL names the PostgreSQL store's connection: a URL or key=value string. The standard
// PG* variables fill in what it leaves out.
const envPGURL = "FLEET_PG_URL"

// openStore returns the store of the fleet f whose spec is in dir: PostgreSQL when the
// fleet block has a backend "postgres" block (the connection from the environment, never
// the spec), else the state file (--state, or DIR/fleet.state.json). f may be nil when the
// spec has no fleet block: the state file then.
func (g *globals) openStore(dir string, f *spec.Fleet) (state.Store, error) {
	if f != nil && f.Backend != nil {
		if f.Backend.Invalid {
			return nil, fmt.Errorf("the backend block at %s has errors (see fleet validate): fix them first, since it says where the state is", f.Backend.DeclRange)
		}
		if g.statePath != "" {
			return nil, fmt.Errorf("--state %s cannot be used: the spec keeps its state in PostgreSQL (backend %q in its fleet block); to move a state file there, run \"fleet state push FILE\"", g.statePath, f.Backend.Type)
		}
		if f.Name == "" {
			return nil, errors.New("the spec's fleet has no name: the PostgreSQL store keeps each fleet under its name")
		}
		return pgstore.Open(os.Getenv(envPGURL), f.Backend.Schema, f.Name)
	}
	return state.NewFileStore(g.statePathFor(dir))
}

// storeOf returns the store of the spec in dir, for commands that work on the state alone
// (state list, show, rm, mv, push, pull, history, force-unlock): the spec is read only for
// its fleet block. A directory without spec files, or a spec without a fleet block, has the
// state file.
func (g *globals) storeOf(dir string) (state.Store, error) {
	files, err := readSpecDir(dir)
	if err != nil || len(files) == 0 {
		return state.NewFileStore(g.statePathFor(dir))
	}
	in, err := g.specInputs()
	if err != nil {
		return nil, err
	}
	f, diags := spec.Load(files, in)
	if spec.HasCode(diags, "syntax") {
		// A file that cannot be parsed may hold the backend block: do not guess the store.
		return nil, fmt.Errorf("the spec of %s cannot be parsed (see fleet validate), and it may say where the state is: fix it first", dir)
	}
	return g.openStore(dir, f)
}

// env returns the workflows' environment: the store, the cloud client of cfg (none when cfg
// is nil) at rate calls a second, the clock and the lock timeout.
func (g *globals) env(store state.Store, cfg *cvm.Config, rate float64) workflow.Env {
	env := workflow.Env{Store: store, Now: time.Now, LockTimeout: g.lockTimeout}
	if cfg != nil {
		c := *cfg
		env.Client = func(region string) (executor.Client, error) { return newCloudClient(c, region, rate) }
	}
	return env
}

// withStore opens the store of the spec in dir (storeOf), runs fn with the workflows'
// environment, without a cloud client, and closes the store.
func (g *globals) withStore(dir string, fn func(env workflow.Env) error) error {
	store, err := g.storeOf(dir)
	if err != nil {
		return err
	}
	defer store.Close()
	return fn(g.env(store, nil, 0))
}
