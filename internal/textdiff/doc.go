// Package textdiff renders the line diff of two texts as a unified diff, the form of diff -u:
// a "---" and a "+++" header, then hunks of changed lines with three lines of context.
//
// Invariants: the result is a pure function of the names and texts given (no clock, no
// environment); equal texts give ""; a last line without a newline is marked as diff marks
// it, so that applying the diff gives back the second text exactly.
package textdiff
