package main

import (
	"bytes"
	"strings"
	"testing"
)

// TestNegativeRateIsRefused checks that every command talking to the API refuses a negative
// --rate before it reads anything.
func TestNegativeRateIsRefused(t *testing.T) {
	for _, args := range [][]string{
		{"apply", "--rate", "-1", "--auto-approve", t.TempDir()},
		{"refresh", "--rate", "-1", t.TempDir()},
		{"import", "--rate", "-1", "--dir", t.TempDir(), "web", "ins-abcdefgh"},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(args, nil, &stdout, &stderr); code != exitError {
			t.Errorf("%s: exit %d, want %d", args[0], code, exitError)
		}
		if !strings.Contains(stderr.String(), "invalid --rate -1") {
			t.Errorf("%s: stderr %q, want it to name the invalid rate", args[0], stderr.String())
		}
	}
}
