package main

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.fleet.hcl")
	if err := os.WriteFile(path, []byte("old"), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := writeFileAtomic(path, []byte("new\n")); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != "new\n" {
		t.Errorf("content = %q, want %q", got, "new\n")
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o640 {
		t.Errorf("mode = %v, want 0640 kept", info.Mode().Perm())
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries, want only the file (no temporary left)", len(entries))
	}
	if err := writeFileAtomic(filepath.Join(dir, "missing.fleet.hcl"), []byte("x")); err == nil {
		t.Error("rewriting a missing file: no error")
	}
}

func TestFmtTargets(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"a.fleet.hcl", "b.fleet.json", "c.hcl", "README.md", "sub/d.fleet.hcl", "sub/deeper/e.fleet.hcl"} {
		p := filepath.Join(dir, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	rel := func(ps []string) []string {
		var out []string
		for _, p := range ps {
			r, _ := filepath.Rel(dir, p)
			out = append(out, filepath.ToSlash(r))
		}
		slices.Sort(out)
		return out
	}
	for _, tc := range []struct {
		path      string
		recursive bool
		want      []string
	}{
		{dir, false, []string{"a.fleet.hcl"}},
		{dir, true, []string{"a.fleet.hcl", "sub/d.fleet.hcl", "sub/deeper/e.fleet.hcl"}},
		{filepath.Join(dir, "c.hcl"), false, []string{"c.hcl"}},
		{filepath.Join(dir, "b.fleet.json"), false, nil},
	} {
		got, err := fmtTargets(tc.path, tc.recursive)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tc.want, rel(got)); diff != "" {
			t.Errorf("fmtTargets(%s, %v) (-want +got):\n%s", tc.path, tc.recursive, diff)
		}
	}
	if _, err := fmtTargets(filepath.Join(dir, "README.md"), false); err == nil || !strings.Contains(err.Error(), "not an HCL file") {
		t.Errorf("fmtTargets(README.md) error = %v, want not an HCL file", err)
	}
}

func TestFmtIdempotent(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.fleet.hcl")
	src := "group \"x\" {\ncount=1\n  image_id =   \"img-lkxqa4kj\"\n}\n"
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	if code := run([]string{"fmt", dir}, nil, &out, &errb); code != 0 {
		t.Fatalf("fmt: exit %d: %s", code, errb.String())
	}
	if got := out.String(); got != path+"\n" {
		t.Errorf("fmt listed %q, want %q", got, path+"\n")
	}
	out.Reset()
	if code := run([]string{"fmt", "--check", dir}, nil, &out, &errb); code != 0 || out.Len() != 0 {
		t.Errorf("fmt --check after fmt: exit %d, listed %q; want 0 and nothing", code, out.String())
	}
}
