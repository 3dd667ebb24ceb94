// Package golden compares the output of a test with a golden file in the package's testdata
// directory, and rewrites the file instead when the test binary runs with -update.
//
// It is imported by tests only. Invariants: without -update nothing is written; a missing or
// different golden file fails the test with a diff, never silently.
package golden
