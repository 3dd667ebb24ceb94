package state_test

import (
	"path/filepath"
	"testing"

	"fleet/internal/state"
	"fleet/internal/state/statetest"
)

// TestFileStoreConformance runs the Store conformance suite on the file store: one state file
// per fleet in one directory.
func TestFileStoreConformance(t *testing.T) {
	dir := t.TempDir()
	statetest.Run(t, func(t *testing.T, fleet string) state.Store {
		s, err := state.NewFileStore(filepath.Join(dir, fleet+".state.json"))
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}
