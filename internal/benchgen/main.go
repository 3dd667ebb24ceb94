package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"fleet/internal/state"
	"fleet/planner"
	"fleet/spec"
)

const groupsPerFile = 1000

func main() {
	groups := flag.Int("groups", 2000, "number of groups")
	per := flag.Int("per", 10, "instances per group")
	mode := flag.String("mode", "full", "full: every attribute in every group; count: only count, the rest under defaults")
	out := flag.String("out", "", "directory to write the spec and the state to")
	flag.Parse()
	if err := run(*out, *mode, *groups, *per); err != nil {
		fmt.Fprintln(os.Stderr, "benchgen:", err)
		os.Exit(1)
	}
}

func run(dir, mode string, groups, per int) error {
	if dir == "" {
		return errors.New("-out is required")
	}
	files, err := Spec(mode, groups, per)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	for _, f := range files {
		if err := os.WriteFile(filepath.Join(dir, f.Name), f.Src, 0o644); err != nil {
			return fmt.Errorf("write spec: %w", err)
		}
	}
	st, err := State(files)
	if err != nil {
		return err
	}
	return state.Write(filepath.Join(dir, "fleet.state.json"), st)
}

// Spec returns the spec files of a fleet of n groups of per instances each.
func Spec(mode string, n, per int) ([]spec.File, error) {
	if mode != "full" && mode != "count" {
		return nil, fmt.Errorf("unknown mode %q: want full or count", mode)
	}
	var main bytes.Buffer
	main.WriteString("fleet \"bench\" {\n  region     = \"ap-guangzhou\"\n  project_id = 0\n}\n")
	if mode == "count" {
		main.WriteString("\ndefaults {\n")
		for _, kv := range attributes() {
			fmt.Fprintf(&main, "  %s = %s\n", kv[0], kv[1])
		}
		main.WriteString("}\n")
	}
	files := []spec.File{{Name: "main.fleet.hcl", Src: main.Bytes()}}
	var buf bytes.Buffer
	flush := func(i int) {
		if buf.Len() > 0 {
			files = append(files, spec.File{Name: fmt.Sprintf("groups-%04d.fleet.hcl", i/groupsPerFile), Src: bytes.Clone(buf.Bytes())})
			buf.Reset()
		}
	}
	for i := range n {
		if i > 0 && i%groupsPerFile == 0 {
			flush(i - 1)
		}
		fmt.Fprintf(&buf, "group \"g%06d\" {\n  count = %d\n", i, per)
		if mode == "full" {
			for _, kv := range attributes() {
				fmt.Fprintf(&buf, "  %s = %s\n", kv[0], kv[1])
			}
			fmt.Fprintf(&buf, "  instance_name = \"bench-g%06d\"\n", i)
		}
		buf.WriteString("}\n\n")
	}
	flush(n - 1)
	return files, nil
}

// attributes are the group attributes the benchmark sets, in the order written.
func attributes() [][2]string {
	return [][2]string{
		{"cpu", "2"}, {"mem", "4"}, {"image_id", `"img-lkxqa4kj"`}, {"image_type", `"public"`},
		{"period", "12"}, {"instance_type", `"CVM.S2"`}, {"zone_id", "100003"},
		{"storage_type", `"cloud"`}, {"storage_size", "50"}, {"root_size", "20"}, {"os", `"linux"`},
		{"bandwidth_type", `"PayByBandwidth"`}, {"bandwidth", "10"}, {"wan_ip", "true"},
		{"vpc_id", `"vpc-2x0kbd2l"`}, {"subnet_id", `"subnet-8a9bk1cz"`}, {"vpc_gateway", "false"},
		{"key_id", `"skey-3glfot13"`}, {"security_agent", "true"}, {"monitor_agent", "true"},
		{"project_id", "0"},
	}
}

// State returns the state in which every instance of the spec is bought: the spec planned
// against an empty state, each call recorded as a done batch with fresh instance ids.
func State(files []spec.File) (*state.State, error) {
	f, diags := spec.Load(files, spec.Inputs{})
	if diags.HasErrors() || f == nil {
		return nil, fmt.Errorf("load generated spec: %s", diags.Error())
	}
	st := state.New(f.Name, f.Region)
	p := planner.Compute(f, st)
	if !p.Applyable() {
		return nil, errors.New("generated spec does not give an applyable plan")
	}
	n := 0
	for _, c := range p.Calls() {
		b := &state.Batch{Seq: c.Seq, Kind: state.KindRun, ClientToken: c.ClientToken, GoodsNum: c.GoodsNum,
			Params: c.Params, Status: state.StatusDone, DealIDs: []string{fmt.Sprintf("dealid-%08d", n)}}
		for range c.GoodsNum {
			n++
			b.InstanceIDs = append(b.InstanceIDs, fmt.Sprintf("ins-%08x", n))
		}
		st.Apply(state.JournalRecord{Group: c.Group, Batch: b})
		for _, in := range st.Groups[c.Group].Instances {
			in.Status = state.InstanceRunning
		}
	}
	st.Serial = 1
	return st, nil
}
