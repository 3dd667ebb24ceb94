package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"fleet/internal/planview"
	"fleet/planner"
)

func TestAppendStepSummary(t *testing.T) {
	path := filepath.Join(t.TempDir(), "summary.md")
	if err := os.WriteFile(path, []byte("earlier step\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	p := &planner.Plan{Fleet: "web", Region: "ap-guangzhou"}
	if err := appendStepSummary(path, p); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var md bytes.Buffer
	if err := planview.Markdown(&md, p); err != nil {
		t.Fatal(err)
	}
	if want := "earlier step\n" + md.String() + "\n"; string(got) != want {
		t.Errorf("summary file:\n%s\nwant the earlier content followed by the markdown", got)
	}
	if err := appendStepSummary(filepath.Join(t.TempDir(), "no", "such", "dir"), p); err == nil {
		t.Error("appendStepSummary into a missing directory: no error")
	}
}
