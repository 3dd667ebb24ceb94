package diagview

import (
	"fmt"
	"io"
	"strings"
	"testing"

	"fleet/spec"

	"github.com/hashicorp/hcl/v2"
)

// BenchmarkRender20000 renders 20,000 diagnostics, one per group of a 20,000-group file.
func BenchmarkRender20000(b *testing.B) {
	var src strings.Builder
	var diags hcl.Diagnostics
	for i := range 20000 {
		line := 1 + i*4
		off := src.Len()
		fmt.Fprintf(&src, "group \"g%05d\" {\n  period = 48\n  count = 1\n}\n", i)
		start := off + len(fmt.Sprintf("group \"g%05d\" {\n", i)) + len("  period = ")
		diags = append(diags, spec.WithCode("period-range", &hcl.Diagnostic{
			Severity: hcl.DiagError, Summary: "Invalid purchase period",
			Detail:  "The period is 48 months. Prepaid instances are bought for 1 to 36 months; set period within that range.",
			Subject: &hcl.Range{Filename: "big.fleet.hcl", Start: hcl.Pos{Line: line + 1, Column: 12, Byte: start}, End: hcl.Pos{Line: line + 1, Column: 14, Byte: start + 2}},
		}))
	}
	sources := map[string][]byte{"big.fleet.hcl": []byte(src.String())}
	for _, r := range []struct {
		name string
		f    func(io.Writer) error
	}{
		{"human", func(w io.Writer) error { return Human(w, diags, sources, false) }},
		{"json", func(w io.Writer) error { return JSON(w, diags) }},
		{"github", func(w io.Writer) error { return GitHub(w, diags, 0) }},
	} {
		b.Run(r.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := r.f(io.Discard); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
