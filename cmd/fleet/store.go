package main

import (
	"fleet/internal/state"
	"fleet/spec"
)

// openStore returns the store of the fleet f whose spec is in dir: the state file (--state,
// or DIR/fleet.state.json). f may be nil when the spec has no fleet block.
func (g *globals) openStore(dir string, f *spec.Fleet) (state.Store, error) {
	return state.NewFileStore(g.statePathFor(dir))
}

// storeOf returns the store of the spec in dir, for commands that work on the state alone
// (state list, show, rm, mv, push, pull, history, force-unlock).
func (g *globals) storeOf(dir string) (state.Store, error) {
	return g.openStore(dir, nil)
}
