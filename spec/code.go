package spec

import "github.com/hashicorp/hcl/v2"

// diagCode is stored in hcl.Diagnostic.Extra to carry a diagnostic's code.
type diagCode string

// Code returns the code of a diagnostic made by this package ("period-range", "syntax", ...),
// or "" for a diagnostic that carries none.
func Code(d *hcl.Diagnostic) string {
	if c, ok := hcl.DiagnosticExtra[diagCode](d); ok {
		return string(c)
	}
	return ""
}

// WithCode sets the code of d and returns it.
func WithCode(code string, d *hcl.Diagnostic) *hcl.Diagnostic {
	d.Extra = diagCode(code)
	return d
}

// HasCode reports whether any error among diags has the code.
func HasCode(diags hcl.Diagnostics, code string) bool {
	for _, d := range diags {
		if d.Severity == hcl.DiagError && Code(d) == code {
			return true
		}
	}
	return false
}
