package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"fleet/spec"
)

// specFileSuffixes are the endings of the files a spec is made of.
var specFileSuffixes = []string{".fleet.hcl", ".fleet.json"}

// isSpecFile reports whether name is a spec file by its ending.
func isSpecFile(name string) bool {
	for _, s := range specFileSuffixes {
		if strings.HasSuffix(name, s) {
			return true
		}
	}
	return false
}

// readSpecDir reads every spec file of dir, sorted by name. Names are shown relative to the
// working directory as the user gave dir.
func readSpecDir(dir string) ([]spec.File, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("read spec directory: %w", err)
	}
	var files []spec.File
	for _, e := range entries {
		if e.IsDir() || !isSpecFile(e.Name()) {
			continue
		}
		path := filepath.Join(dir, e.Name())
		src, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("read spec file: %w", err)
		}
		files = append(files, spec.File{Name: path, Src: src})
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Name < files[j].Name })
	if len(files) == 0 {
		return nil, fmt.Errorf("no spec files (*.fleet.hcl, *.fleet.json) in %s", dir)
	}
	return files, nil
}

// readSpec reads what a command needs to load the spec of dir: its files (readSpecDir) and
// the variable values of the flags and the environment (specInputs).
func (g *globals) readSpec(dir string) ([]spec.File, spec.Inputs, error) {
	files, err := readSpecDir(dir)
	if err != nil {
		return nil, spec.Inputs{}, err
	}
	in, err := g.specInputs()
	if err != nil {
		return nil, spec.Inputs{}, err
	}
	return files, in, nil
}

// specInputs gathers variable values from --var, --var-file and FLEET_VAR_<name>.
func (g *globals) specInputs() (spec.Inputs, error) {
	in := spec.Inputs{Vars: map[string]string{}, Env: map[string]string{}}
	for _, kv := range g.vars {
		name, value, ok := strings.Cut(kv, "=")
		if !ok || name == "" {
			return in, fmt.Errorf("invalid --var %q: want NAME=VALUE", kv)
		}
		in.Vars[name] = value
	}
	for _, path := range g.varFiles {
		src, err := os.ReadFile(path)
		if err != nil {
			return in, fmt.Errorf("read variable file: %w", err)
		}
		in.VarFiles = append(in.VarFiles, spec.File{Name: path, Src: src})
	}
	for _, kv := range os.Environ() {
		name, value, _ := strings.Cut(kv, "=")
		if v, ok := strings.CutPrefix(name, "FLEET_VAR_"); ok && v != "" {
			in.Env[v] = value
		}
	}
	return in, nil
}

// specDir returns the directory argument of a command, "." when none was given.
func specDir(args []string) string {
	if len(args) > 0 {
		return args[0]
	}
	return "."
}

// statePathFor returns the state file of a spec directory: --state or DIR/fleet.state.json.
func (g *globals) statePathFor(dir string) string {
	if g.statePath != "" {
		return g.statePath
	}
	return filepath.Join(dir, stateFileName)
}
