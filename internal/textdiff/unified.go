package textdiff

import (
	"fmt"
	"strings"

	"github.com/sergi/go-diff/diffmatchpatch"
)

// Context is the number of unchanged lines shown around each change.
const Context = 3

// line is one line of a line diff: its operation and its text with its newline, if any.
type line struct {
	op   diffmatchpatch.Operation
	text string
}

// Unified returns the unified diff that turns a into b, with headers naming aName and bName,
// or "" when they are equal. Changes at most 2*Context unchanged lines apart share a hunk.
func Unified(aName, bName, a, b string) string {
	if a == b {
		return ""
	}
	dmp := diffmatchpatch.New()
	ca, cb, table := dmp.DiffLinesToChars(a, b)
	diffs := dmp.DiffCharsToLines(dmp.DiffMain(ca, cb, false), table)
	var ops []line
	for _, d := range diffs {
		for _, l := range strings.SplitAfter(d.Text, "\n") {
			if l != "" {
				ops = append(ops, line{d.Type, l})
			}
		}
	}
	var out strings.Builder
	fmt.Fprintf(&out, "--- %s\n+++ %s\n", aName, bName)
	// aLine and bLine are the 1-based numbers of ops[i]'s line in a and in b.
	aLine, bLine := make([]int, len(ops)+1), make([]int, len(ops)+1)
	na, nb := 1, 1
	for i, op := range ops {
		aLine[i], bLine[i] = na, nb
		if op.op != diffmatchpatch.DiffInsert {
			na++
		}
		if op.op != diffmatchpatch.DiffDelete {
			nb++
		}
	}
	aLine[len(ops)], bLine[len(ops)] = na, nb
	for i := 0; i < len(ops); {
		if ops[i].op == diffmatchpatch.DiffEqual {
			i++
			continue
		}
		// A hunk: from Context lines before this change to Context lines after the last
		// change that is at most 2*Context equal lines away.
		start := max(0, i-Context)
		end := i
		for j := i; j < len(ops); j++ {
			if ops[j].op != diffmatchpatch.DiffEqual {
				end = j + 1
				continue
			}
			if j-end >= 2*Context {
				break
			}
		}
		stop := min(len(ops), end+Context)
		var aCount, bCount int
		for _, op := range ops[start:stop] {
			if op.op != diffmatchpatch.DiffInsert {
				aCount++
			}
			if op.op != diffmatchpatch.DiffDelete {
				bCount++
			}
		}
		fmt.Fprintf(&out, "@@ -%s +%s @@\n", hunkRange(aLine[start], aCount), hunkRange(bLine[start], bCount))
		for _, op := range ops[start:stop] {
			switch op.op {
			case diffmatchpatch.DiffEqual:
				out.WriteByte(' ')
			case diffmatchpatch.DiffDelete:
				out.WriteByte('-')
			case diffmatchpatch.DiffInsert:
				out.WriteByte('+')
			}
			out.WriteString(op.text)
			if !strings.HasSuffix(op.text, "\n") {
				out.WriteString("\n\\ No newline at end of file\n")
			}
		}
		i = stop
	}
	return out.String()
}

// hunkRange formats one side of a hunk header the way diff -u does: an empty range starts at
// the line before it, and a count of one is left out.
func hunkRange(start, count int) string {
	switch count {
	case 0:
		return fmt.Sprintf("%d,0", start-1)
	case 1:
		return fmt.Sprint(start)
	}
	return fmt.Sprintf("%d,%d", start, count)
}
