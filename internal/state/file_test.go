package state

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestRoundTripGolden writes states, compares the bytes with the golden files, reads them
// back and writes again: the same state and the same bytes (but the serial).
func TestRoundTripGolden(t *testing.T) {
	empty := New("prod", "ap-guangzhou")
	empty.Lineage = testLineage
	cases := map[string]*State{
		"empty":  empty,
		"sample": sampleState(),
		// What a refresh records per instance; sample.json, written before those fields
		// were kept, must stay byte-identical.
		"refreshed": refreshedState(),
	}
	for name, s := range cases {
		t.Run(name, func(t *testing.T) {
			path := statePath(t)
			serial := s.Serial
			if err := Write(path, s); err != nil {
				t.Fatal(err)
			}
			if s.Serial != serial+1 {
				t.Errorf("serial after Write = %d, want %d", s.Serial, serial+1)
			}
			got, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", "golden", name+".json")
			if *update {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				writeFile(t, golden, got)
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if d := cmp.Diff(string(want), string(got)); d != "" {
				t.Errorf("written state differs from %s (-want +got):\n%s", golden, d)
			}
			if !bytes.HasSuffix(got, []byte("}\n")) {
				t.Errorf("written state does not end with a newline")
			}

			back, err := Read(path)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(s, back, ignoreJournaled); d != "" {
				t.Errorf("read back (-wrote +read):\n%s", d)
			}
			if err := Write(path, back); err != nil {
				t.Fatal(err)
			}
			again, _ := os.ReadFile(path)
			bumped := bytes.Replace(got, []byte(`"serial": `+itoa(serial+1)), []byte(`"serial": `+itoa(serial+2)), 1)
			if d := cmp.Diff(string(bumped), string(again)); d != "" {
				t.Errorf("second write differs beyond the serial (-want +got):\n%s", d)
			}
			prev, err := os.ReadFile(path + ".backup")
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(prev, got) {
				t.Errorf("backup is not the previous version")
			}
			assertNoTemp(t, filepath.Dir(path))
		})
	}
}

func itoa(n uint64) string { return strconv.FormatUint(n, 10) }

// assertNoTemp fails if a temporary file of the store is left in dir.
func assertNoTemp(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp") {
			t.Errorf("temporary file %s left behind", e.Name())
		}
	}
}

func TestReadMissing(t *testing.T) {
	path := statePath(t)
	_, err := Read(path)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Read of a missing state: got %v, want an fs.ErrNotExist error", err)
	}
	if !strings.Contains(err.Error(), path) {
		t.Errorf("error %q does not name the file", err)
	}
}

// TestReadStrict feeds Read broken and foreign files: each is an error that names the file
// and says what is wrong, and none is fs.ErrNotExist.
func TestReadStrict(t *testing.T) {
	good, err := encodeState(sampleState())
	if err != nil {
		t.Fatal(err)
	}
	edit := func(old, new string) string {
		if !bytes.Contains(good, []byte(old)) {
			t.Fatalf("sample state has no %q", old)
		}
		return strings.Replace(string(good), old, new, 1)
	}
	cases := []struct {
		name, data string
		want       []string // substrings of the error
		newer      bool
	}{
		{"empty", "", []string{"empty file"}, false},
		{"null", "null", []string{"no format_version"}, false},
		{"array", "[]", []string{"got a JSON array, want an object"}, false},
		{"not json", "format_version = 1", []string{"line 1, column 2", "invalid character 'o'"}, false},
		{"unknown top field", edit(`"lineage"`, `"colour": "red",
  "lineage"`), []string{"line 213, column 3", `unknown field "colour"`}, false},
		{"unknown batch field", edit(`"kind": "run"`, `"kind": "run", "cost": 3`), []string{`unknown field "cost"`}, false},
		{"future major", edit(`"format_version": "1.0"`, `"format_version": "2.0"`), []string{"format version 2.0 is written by a newer version of fleet", "upgrade fleet"}, true},
		{"future minor with new field", edit(`"format_version": "1.0",`, `"format_version": "1.1", "zones": {},`), []string{"format version 1.1 is written by a newer version of fleet"}, true},
		{"unknown version", edit(`"format_version": "1.0"`, `"format_version": "one"`), []string{`unknown format version "one"`}, false},
		{"missing version", edit(`"format_version": "1.0",`, ``), []string{"no format_version"}, false},
		{"serial as string", edit(`"serial": 4`, `"serial": "4"`), []string{"line 215, column 16", "serial: got a JSON string, want a non-negative integer"}, false},
		{"negative serial", edit(`"serial": 4`, `"serial": -4`), []string{"serial: got a JSON number -4, want a non-negative integer"}, false},
		{"seq as string", edit(`"seq": 0`, `"seq": "0"`), []string{"seq: got a JSON string, want an integer"}, false},
		{"bad time", edit(`"created_at": "2026-03-01T10:00:00Z"`, `"created_at": "yesterday"`), []string{"yesterday"}, false},
		{"trailing data", string(good) + "{}\n", []string{"unexpected data after the state"}, false},
		{"two seqs", edit(`"seq": 2`, `"seq": 1`), []string{`group "web"`, "batch seq 1 appears twice"}, false},
		{"unknown status", edit(`"status": "pending"`, `"status": "lost"`), []string{`group "web": batch 2: unknown status "lost"`}, false},
		{"unknown kind", edit(`"kind": "import"`, `"kind": "gift"`), []string{`group "legacy": batch 0: unknown kind "gift"`}, false},
		{"instance of no batch", edit(`"batch": 0,
          "id": "ins-0legacy0"`, `"batch": 7,
          "id": "ins-0legacy0"`), []string{`group "legacy": instance ins-0legacy0: batch 7 is not recorded`}, false},
		{"secret in clear", edit(hashedPassword, "hunter2hunter2"), []string{"parameter password holds a secret in clear"}, false},
		{"null instance out of order", `{"format_version":"1.0","lineage":"l","serial":1,"fleet":"f","region":"r","groups":{"g":{"batches":[],"instances":[{"id":"b"},{"id":"a"},null]}}}`, []string{`group "g": instance #0 is null`}, false},
		{"null batch out of order", `{"format_version":"1.0","lineage":"l","serial":1,"fleet":"f","region":"r","groups":{"g":{"batches":[{"seq":2},{"seq":1},null],"instances":[]}}}`, []string{`group "g": batch #0 is null`}, false},
		{"null group", edit(`"legacy": {`, `"nil": null, "legacy": {`), []string{`group "nil" is null`}, false},
		{"no lineage", edit(`"lineage": "`+testLineage+`"`, `"lineage": ""`), []string{"lineage is empty"}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := statePath(t)
			writeFile(t, path, []byte(tc.data))
			_, err := Read(path)
			if err == nil {
				t.Fatal("Read succeeded, want an error")
			}
			msg := err.Error()
			for _, w := range append([]string{path}, tc.want...) {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not contain %q", msg, w)
				}
			}
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Errorf("error %T is not a *FormatError", err)
			}
			if errors.Is(err, fs.ErrNotExist) {
				t.Errorf("error %q is fs.ErrNotExist", msg)
			}
			if got := errors.Is(err, ErrNewerVersion); got != tc.newer {
				t.Errorf("errors.Is(err, ErrNewerVersion) = %v, want %v", got, tc.newer)
			}
		})
	}
}

// TestReadTruncated cuts a good state at many lengths: every cut is a clear error.
func TestReadTruncated(t *testing.T) {
	good, err := encodeState(sampleState())
	if err != nil {
		t.Fatal(err)
	}
	path := statePath(t)
	for n := 0; n < len(good)-2; n += 7 {
		writeFile(t, path, good[:n])
		_, err := Read(path)
		if err == nil {
			t.Fatalf("Read of the first %d bytes succeeded", n)
		}
		if !strings.Contains(err.Error(), path) {
			t.Fatalf("error %q does not name the file", err)
		}
		if n > 0 && !strings.Contains(err.Error(), "truncated") {
			t.Fatalf("cut at %d: error %q does not say the file is truncated", n, err)
		}
	}
}

func TestWriteRefusesInvalidState(t *testing.T) {
	path := statePath(t)
	s := sampleState()
	s.Groups["web"].Batches[0].Params["password"] = "in-clear-123"
	err := Write(path, s)
	if err == nil || !strings.Contains(err.Error(), "secret in clear") {
		t.Fatalf("Write of a state with a clear password: got %v, want a refusal", err)
	}
	if s.Serial != 4 {
		t.Errorf("serial after a refused write = %d, want 4", s.Serial)
	}
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a refused write left a file: %v", err)
	}
}

// TestWriteRemovesJournal checks that a successful Write folds the journal away.
func TestWriteRemovesJournal(t *testing.T) {
	path := statePath(t)
	s := sampleState()
	if err := Write(path, s); err != nil {
		t.Fatal(err)
	}
	j, err := OpenJournal(path, s)
	if err != nil {
		t.Fatal(err)
	}
	rec := JournalRecord{Group: "api", Batch: doneBatch(0, "ins-00000api")}
	if err := j.Append(rec); err != nil {
		t.Fatal(err)
	}
	s.Apply(rec)
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	if err := Write(path, s); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(JournalPath(path)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("journal still there after Write: %v", err)
	}
	got, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(s, got, ignoreJournaled); d != "" {
		t.Errorf("state (-want +got):\n%s", d)
	}
}
