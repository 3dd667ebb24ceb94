package planner_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/rogpeppe/go-internal/txtar"

	"fleet/internal/planview"
	"fleet/internal/state"
	"fleet/planner"
	"fleet/spec"
)

// update rewrites the expected sections of the scenarios (plan.txt, plan.json, and plan.md
// and plan.github where the archive has them).
var update = flag.Bool("update", false, "rewrite the expected sections of testdata/scenarios/*.txtar")

// TestScenarios plans each archive of testdata/scenarios: its spec files (*.fleet.hcl,
// *.fleet.json) against its state.json (none: no state) at the time its "at" section gives
// (RFC 3339; none: no time), and compares the plan with the
// archive's plan.txt and plan.json, and with its plan.md and plan.github when it has those
// sections (the Markdown and GitHub renderings).
func TestScenarios(t *testing.T) {
	paths, err := filepath.Glob("testdata/scenarios/*.txtar")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no scenarios (%v)", err)
	}
	for _, path := range paths {
		t.Run(strings.TrimSuffix(filepath.Base(path), ".txtar"), func(t *testing.T) {
			ar, err := txtar.ParseFile(path)
			if err != nil {
				t.Fatal(err)
			}
			var files []spec.File
			var st *state.State
			var at time.Time
			for _, f := range ar.Files {
				switch {
				case f.Name == "at":
					if at, err = time.Parse(time.RFC3339, strings.TrimSpace(string(f.Data))); err != nil {
						t.Fatalf("at: %v", err)
					}
				case strings.HasSuffix(f.Name, ".fleet.hcl") || strings.HasSuffix(f.Name, ".fleet.json"):
					files = append(files, spec.File{Name: f.Name, Src: f.Data})
				case f.Name == "state.json":
					st = decodeState(t, f.Data)
				}
			}
			fl, diags := spec.Load(files, spec.Inputs{})
			if fl == nil {
				fl = &spec.Fleet{Diags: diags}
			}
			p := planner.ComputeWith(fl, st, planner.Options{At: at})
			sources := map[string][]byte{}
			for _, f := range files {
				sources[f.Name] = f.Src
			}
			var human, js bytes.Buffer
			if err := planview.Human(&human, p, sources, false); err != nil {
				t.Fatal(err)
			}
			if err := planview.JSON(&js, p); err != nil {
				t.Fatal(err)
			}
			got := map[string][]byte{"plan.txt": human.Bytes(), "plan.json": js.Bytes()}
			names := []string{"plan.txt", "plan.json"}
			if section(ar, "plan.md") != nil {
				var md, gh bytes.Buffer
				if err := planview.Markdown(&md, p); err != nil {
					t.Fatal(err)
				}
				if err := planview.GitHub(&gh, p); err != nil {
					t.Fatal(err)
				}
				got["plan.md"], got["plan.github"] = md.Bytes(), gh.Bytes()
				names = append(names, "plan.md", "plan.github")
			}

			if *update {
				for _, name := range names {
					setSection(ar, name, got[name])
				}
				if err := os.WriteFile(path, txtar.Format(ar), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			for _, name := range names {
				want := section(ar, name)
				if want == nil {
					t.Errorf("no %s section; run with -update", name)
					continue
				}
				if diff := cmp.Diff(string(want), string(got[name])); diff != "" {
					t.Errorf("%s (-want +got):\n%s", name, diff)
				}
			}
		})
	}
}

func decodeState(t *testing.T, b []byte) *state.State {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var st state.State
	if err := dec.Decode(&st); err != nil {
		t.Fatalf("state.json: %v", err)
	}
	return &st
}

func section(ar *txtar.Archive, name string) []byte {
	for _, f := range ar.Files {
		if f.Name == name {
			return f.Data
		}
	}
	return nil
}

func setSection(ar *txtar.Archive, name string, data []byte) {
	for i, f := range ar.Files {
		if f.Name == name {
			ar.Files[i].Data = data
			return
		}
	}
	ar.Files = append(ar.Files, txtar.File{Name: name, Data: data})
}
