// Command gen writes the state.json section of a planner scenario from its spec: the state
// that the scenario's story describes (part bought, a pending batch, a returned instance...),
// made by planning a variant of the spec and recording its calls. Run it from the module
// root after a change to the spec language that alters request parameters:
//
//	go run ./planner/testdata/gen planner/testdata/scenarios/NAME.txtar
//
// then rewrite the expected sections with go test ./planner -run TestScenarios -update.
// Scenarios without a state are left alone.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/rogpeppe/go-internal/txtar"

	"fleet/internal/state"
	"fleet/planner"
	"fleet/spec"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func load(src string) *spec.Fleet {
	f, diags := spec.Load([]spec.File{{Name: "spec.fleet.hcl", Src: []byte(src)}}, spec.Inputs{})
	if diags.HasErrors() {
		fail(diags)
	}
	return f
}

var ids int

func apply(st *state.State, c *planner.Call, status string) {
	b := &state.Batch{Seq: c.Seq, Kind: state.KindRun, ClientToken: c.ClientToken, GoodsNum: c.GoodsNum, Params: c.Params, Status: status, CreatedAt: t0, UpdatedAt: t0, Attempts: 1}
	b.DealIDs = []string{}
	b.InstanceIDs = []string{}
	if status == state.StatusDone {
		ids++
		b.DealIDs = []string{fmt.Sprintf("dealid-%04d", ids)}
		for range c.GoodsNum {
			ids++
			b.InstanceIDs = append(b.InstanceIDs, fmt.Sprintf("ins-%08d", ids))
		}
	}
	if status == state.StatusFailed {
		b.Error = &state.BatchError{Code: 4000, Name: "InvalidParameter", Message: "(100004)projectId 不正确", Class: "parameter"}
	}
	st.Apply(state.JournalRecord{Group: c.Group, Batch: b})
	for _, in := range st.Groups[c.Group].Instances {
		if in.Status == 0 {
			in.Status = state.InstanceRunning
		}
	}
	st.Serial++
}

func bought(st *state.State, src string) {
	f := load(src)
	for _, c := range planner.Compute(f, st).Calls() {
		apply(st, c, state.StatusDone)
	}
}

func newState(fleet string) *state.State {
	st := state.New(fleet, "ap-guangzhou")
	st.Lineage = "8f2c3a41-6b0e-4d8e-9a51-3c7d2e1f0a9b"
	return st
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "gen:", err)
	os.Exit(1)
}

func main() {
	if len(os.Args) != 2 {
		fail(fmt.Errorf("usage: gen SCENARIO.txtar"))
	}
	path := os.Args[1]
	ar, err := txtar.ParseFile(path)
	if err != nil {
		fail(err)
	}
	var src string
	for _, f := range ar.Files {
		if f.Name == "spec.fleet.hcl" {
			src = string(f.Data)
		}
	}
	name := strings.TrimSuffix(path[strings.LastIndex(path, "/")+1:], ".txtar")
	st := newState("prod")
	set := func(old, new string) string { return strings.Replace(src, old, new, 1) }
	switch name {
	case "partly_bought":
		bought(st, set("count = 10", "count = 4"))
	case "surplus":
		bought(st, set("count = 3", "count = 5"))
	case "orphan":
		bought(st, src+"\ngroup \"old\" {\n  count = 3\n}\n")
	case "resume":
		old := set("count = 10", "count = 2\n  image_id = \"img-oldimage\"")
		bought(st, old)
		p := planner.Compute(load(set("count = 10", "count = 5\n  image_id = \"img-oldimage\"")), st)
		apply(st, p.Calls()[0], state.StatusPending)
		p = planner.Compute(load(set("count = 10", "count = 6\n  image_id = \"img-oldimage\"")), st)
		apply(st, p.Calls()[len(p.Calls())-1], state.StatusFailed)
	case "config_drift":
		bought(st, set("count    = 3\n  image_id = \"img-newimage\"", "count = 2"))
	case "private_ips":
		bought(st, strings.Replace(set("count       = 3", "count       = 2"), `, "10.0.1.12"`, "", 1))
		g := st.Groups["db"]
		for _, in := range g.Instances {
			if in.Batch == 1 {
				in.Status = state.InstanceReturned
			}
		}
	case "for_each":
		f := load(src)
		for _, c := range planner.Compute(f, st).Calls() {
			if c.Group == `web["gz3"]` || c.Group == "web[gz3]" {
				apply(st, c, state.StatusDone)
			}
		}
	case "state_mismatch":
		st = newState("staging")
		bought(st, set("fleet \"prod\"", "fleet \"staging\""))
	default:
		return
	}
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		fail(err)
	}
	b = append(b, '\n')
	found := false
	for i, f := range ar.Files {
		if f.Name == "state.json" {
			ar.Files[i].Data, found = b, true
		}
	}
	if !found {
		files := []txtar.File{ar.Files[0], {Name: "state.json", Data: b}}
		ar.Files = append(files, ar.Files[1:]...)
	}
	if err := os.WriteFile(path, txtar.Format(ar), 0o644); err != nil {
		fail(err)
	}
}
