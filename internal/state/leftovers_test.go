package state

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestWriteFailureNamesNoGoneFile fails a write of the new state (a full disk): the error
// names the state and its directory, not the temporary file that was removed again.
func TestWriteFailureNamesNoGoneFile(t *testing.T) {
	path := statePath(t)
	ffs := &faultFS{at: 10}
	err := writeState(ffs, path, sampleState())
	if err == nil {
		t.Fatal("write through a failing file system succeeded")
	}
	if strings.Contains(err.Error(), ".tmp-") || !strings.Contains(err.Error(), "removed again") {
		t.Errorf("error %q names a temporary file, or does not say it is gone", err)
	}
	matches, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".*.tmp-*"))
	if len(matches) > 0 {
		t.Errorf("temporary files left: %v", matches)
	}
}

// TestWriteRemovesLeftovers leaves the temporary files of killed writes beside the state:
// the next write of the store removes them.
func TestWriteRemovesLeftovers(t *testing.T) {
	path := statePath(t)
	dir := filepath.Dir(path)
	var left []string
	for _, name := range []string{".fleet.state.json.tmp-123", ".fleet.state.json.backup.tmp-9", ".fleet.state.journal.tmp-77"} {
		p := filepath.Join(dir, name)
		writeFile(t, p, []byte("{"))
		left = append(left, p)
	}
	other := filepath.Join(dir, ".other.tmp-1")
	writeFile(t, other, []byte("x"))
	store, err := NewFileStore(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Write(context.Background(), sampleState(), Change{Operation: "test"}); err != nil {
		t.Fatal(err)
	}
	for _, p := range left {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("%s is still there", p)
		}
	}
	if _, err := os.Stat(other); err != nil {
		t.Errorf("a file that is not the state's was removed: %v", err)
	}
}

// TestJournalEmptiedByHand reads a journal whose header was cut away while an apply went on
// appending: the error says what happened and what to do.
func TestJournalEmptiedByHand(t *testing.T) {
	path, _ := journaled(t, sampleState(), applyRecords())
	jp := JournalPath(path)
	data, err := os.ReadFile(jp)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfterN(string(data), "\n", 2)
	writeFile(t, jp, []byte(lines[1]))
	_, err = Read(path)
	if err == nil || !strings.Contains(err.Error(), "emptied or cut") || !strings.Contains(err.Error(), "fleet state recover") {
		t.Errorf("got %v, want the emptied journal explained", err)
	}
}
