package diagview

import (
	"encoding/json"
	"io"

	"fleet/spec"

	"github.com/hashicorp/hcl/v2"
)

// FormatVersion is the version of the JSON documents this package writes.
const FormatVersion = "1.0"

// Document is the `fleet validate --json` document.
type Document struct {
	FormatVersion string       `json:"format_version"`
	Valid         bool         `json:"valid"`
	ErrorCount    int          `json:"error_count"`
	WarningCount  int          `json:"warning_count"`
	Diagnostics   []Diagnostic `json:"diagnostics"`
}

// Diagnostic is one diagnostic in JSON; other JSON views (the plan's) embed it as is.
type Diagnostic struct {
	Severity string `json:"severity"` // "error" or "warning"
	Code     string `json:"code"`
	Summary  string `json:"summary"`
	Detail   string `json:"detail"`
	Range    *Range `json:"range,omitempty"` // absent for a diagnostic about no place in a file
}

// Range is a source range in JSON.
type Range struct {
	Filename string `json:"filename"`
	Start    Pos    `json:"start"`
	End      Pos    `json:"end"`
}

// Pos is a position in JSON: line and column from 1, byte offset from 0.
type Pos struct {
	Line   int `json:"line"`
	Column int `json:"column"`
	Byte   int `json:"byte"`
}

// NewDocument returns the validate document of diags.
func NewDocument(diags hcl.Diagnostics) Document {
	errs, warns := Counts(diags)
	return Document{
		FormatVersion: FormatVersion,
		Valid:         errs == 0,
		ErrorCount:    errs,
		WarningCount:  warns,
		Diagnostics:   Diagnostics(diags),
	}
}

// Diagnostics converts diags to their JSON form; the result is never nil.
func Diagnostics(diags hcl.Diagnostics) []Diagnostic {
	out := make([]Diagnostic, 0, len(diags))
	for _, d := range diags {
		out = append(out, NewDiagnostic(d))
	}
	return out
}

// NewDiagnostic converts one diagnostic to its JSON form.
func NewDiagnostic(d *hcl.Diagnostic) Diagnostic {
	j := Diagnostic{Severity: "error", Code: spec.Code(d), Summary: d.Summary, Detail: d.Detail}
	if d.Severity == hcl.DiagWarning {
		j.Severity = "warning"
	}
	if d.Subject != nil {
		r := *d.Subject
		j.Range = &Range{
			Filename: r.Filename,
			Start:    Pos{Line: r.Start.Line, Column: r.Start.Column, Byte: r.Start.Byte},
			End:      Pos{Line: r.End.Line, Column: r.End.Column, Byte: r.End.Byte},
		}
	}
	return j
}

// JSON writes the validate document of diags to w, indented, with a trailing newline.
func JSON(w io.Writer, diags hcl.Diagnostics) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(NewDocument(diags))
}
