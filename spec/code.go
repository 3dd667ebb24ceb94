package spec

import "github.com/hashicorp/hcl/v2"

// diagExtra is stored in hcl.Diagnostic.Extra: a diagnostic's code and the group it is about.
type diagExtra struct {
	code  string
	group string
}

// Code returns the code of a diagnostic made by this package ("period-range", "syntax", ...),
// or "" for a diagnostic that carries none.
func Code(d *hcl.Diagnostic) string {
	if x, ok := hcl.DiagnosticExtra[diagExtra](d); ok {
		return x.code
	}
	return ""
}

// DiagGroup returns the name of the group a diagnostic is about ("web", "web[gz3]"), or ""
// when it is about no single group.
func DiagGroup(d *hcl.Diagnostic) string {
	if x, ok := hcl.DiagnosticExtra[diagExtra](d); ok {
		return x.group
	}
	return ""
}

// WithCode sets the code of d, keeping its group, and returns it.
func WithCode(code string, d *hcl.Diagnostic) *hcl.Diagnostic {
	x, _ := d.Extra.(diagExtra)
	x.code = code
	d.Extra = x
	return d
}

// withGroup sets the group of d, keeping its code, and returns it.
func withGroup(group string, d *hcl.Diagnostic) *hcl.Diagnostic {
	x, _ := d.Extra.(diagExtra)
	x.group = group
	d.Extra = x
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
