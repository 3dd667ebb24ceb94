package main

import (
	"context"
	"sync"

	"github.com/rogpeppe/go-internal/testscript"

	"fleet/internal/state"
)

// stateLocks are the state locks held by scripts, by the script's path of the state file.
var stateLocks = struct {
	sync.Mutex
	m map[string]*state.LockHandle
}{m: map[string]*state.LockHandle{}}

func init() {
	// state-lock STATEFILE takes the state's lock in the test process (a live holder) and
	// keeps it until state-unlock STATEFILE or the end of the script.
	scriptCmds["state-lock"] = func(ts *testscript.TestScript, neg bool, args []string) {
		if neg || len(args) != 1 {
			ts.Fatalf("usage: state-lock STATEFILE")
		}
		path := ts.MkAbs(args[0])
		l, err := state.LockFile(context.Background(), path, "state-lock in a test script", 0)
		ts.Check(err)
		stateLocks.Lock()
		stateLocks.m[path] = l
		stateLocks.Unlock()
		ts.Defer(func() { l.Unlock() })
	}
	scriptCmds["state-unlock"] = func(ts *testscript.TestScript, neg bool, args []string) {
		if neg || len(args) != 1 {
			ts.Fatalf("usage: state-unlock STATEFILE")
		}
		path := ts.MkAbs(args[0])
		stateLocks.Lock()
		l := stateLocks.m[path]
		delete(stateLocks.m, path)
		stateLocks.Unlock()
		if l == nil {
			ts.Fatalf("state-unlock: %s is not locked by this script", args[0])
		}
		ts.Check(l.Unlock())
	}
}
