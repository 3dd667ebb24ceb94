package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"fleet/internal/diagview"

	"github.com/rogpeppe/go-internal/testscript"
)

func init() {
	scriptCmds["hasdiag"] = cmdHasDiag
}

// cmdHasDiag is the script command `hasdiag SEVERITY CODE FILE:LINE[:COL]...`: the last
// command's stdout is a diagnostics JSON document (fleet validate --json or fleet plan
// --json) holding a diagnostic of that severity and code at each given place. With `!`, no
// diagnostic of that code is at any of them.
func cmdHasDiag(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 3 {
		ts.Fatalf("usage: hasdiag error|warning CODE FILE:LINE[:COL]...")
	}
	var doc struct {
		Diagnostics []diagview.Diagnostic `json:"diagnostics"`
	}
	out := ts.ReadFile("stdout")
	if err := json.NewDecoder(bytes.NewReader([]byte(out))).Decode(&doc); err != nil {
		ts.Fatalf("stdout is not a diagnostics document: %v", err)
	}
	severity, code := args[0], args[1]
	for _, place := range args[2:] {
		found := false
		for _, d := range doc.Diagnostics {
			if d.Severity == severity && d.Code == code && d.Range != nil && matchPlace(place, d.Range) {
				found = true
				break
			}
		}
		switch {
		case found && neg:
			ts.Fatalf("unexpected %s %s at %s", severity, code, place)
		case !found && !neg:
			var have []string
			for _, d := range doc.Diagnostics {
				at := "(no range)"
				if d.Range != nil {
					at = fmt.Sprintf("%s:%d:%d", d.Range.Filename, d.Range.Start.Line, d.Range.Start.Column)
				}
				have = append(have, fmt.Sprintf("%s %s at %s", d.Severity, d.Code, at))
			}
			ts.Fatalf("no %s %s at %s; the diagnostics are:\n%s", severity, code, place, strings.Join(have, "\n"))
		}
	}
}

// matchPlace reports whether r starts at place, FILE:LINE or FILE:LINE:COL.
func matchPlace(place string, r *diagview.Range) bool {
	want := fmt.Sprintf("%s:%d", r.Filename, r.Start.Line)
	if strings.Count(place, ":") >= 2 {
		want += fmt.Sprintf(":%d", r.Start.Column)
	}
	return place == want
}
