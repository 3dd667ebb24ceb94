package diagview

import (
	"bytes"
	"testing"

	"github.com/hashicorp/hcl/v2"
)

// FuzzHuman renders a diagnostic with an arbitrary range over arbitrary source bytes: it must
// never panic, whatever the range says.
func FuzzHuman(f *testing.F) {
	f.Add([]byte(webSrc), 7, 12, 72, 7, 14, 74, "summary", "detail")
	f.Add([]byte("a\r\nb\n\tc\xff"), 2, 1, 3, 3, 3, 9, "s\x1b", "d\n\nd")
	f.Add([]byte(""), 1, 1, 0, 1, 1, 0, "", "")
	f.Add([]byte("password = \"x\""), 1, 12, 11, 1, 15, 14, "p", "")
	f.Fuzz(func(t *testing.T, src []byte, sl, sc, sb, el, ec, eb int, summary, detail string) {
		d := &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: detail,
			Subject: rng("f", sl, sc, sb, el, ec, eb)}
		var b bytes.Buffer
		if err := Human(&b, hcl.Diagnostics{d}, map[string][]byte{"f": src}, sl%2 == 0); err != nil {
			t.Fatal(err)
		}
		if err := GitHub(&b, hcl.Diagnostics{d}, 1); err != nil {
			t.Fatal(err)
		}
		if err := JSON(&b, hcl.Diagnostics{d}); err != nil {
			t.Fatal(err)
		}
	})
}
