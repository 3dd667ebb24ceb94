package diagview

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"fleet/spec"

	"github.com/hashicorp/hcl/v2"
)

// GitHub writes one workflow-command annotation per diagnostic:
//
//	::error file=F,line=L,col=C,title=CODE::summary
//
// With limit > 0, at most limit errors and limit warnings are written and a closing
// ::notice:: line says how many were left out.
func GitHub(w io.Writer, diags hcl.Diagnostics, limit int) error {
	var b strings.Builder
	var shown, hidden [2]int // by severity: 0 error, 1 warning
	for _, d := range diags {
		sev, cmd := 0, "error"
		if d.Severity == hcl.DiagWarning {
			sev, cmd = 1, "warning"
		}
		if limit > 0 && shown[sev] >= limit {
			hidden[sev]++
			continue
		}
		shown[sev]++
		b.WriteString(Annotation(cmd, d))
		b.WriteString("\n")
	}
	if hidden[0]+hidden[1] > 0 {
		var parts []string
		if hidden[0] > 0 {
			parts = append(parts, plural(hidden[0], "more error"))
		}
		if hidden[1] > 0 {
			parts = append(parts, plural(hidden[1], "more warning"))
		}
		fmt.Fprintf(&b, "::notice title=fleet::%s not annotated; the human output lists them all\n",
			escapeData(strings.Join(parts, " and ")))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Annotation returns the workflow command (without its newline) for d; cmd is "error",
// "warning" or "notice".
func Annotation(cmd string, d *hcl.Diagnostic) string {
	var props []string
	if d.Subject != nil {
		props = append(props,
			"file="+escapeProperty(d.Subject.Filename),
			"line="+strconv.Itoa(d.Subject.Start.Line),
			"col="+strconv.Itoa(d.Subject.Start.Column))
	}
	if code := spec.Code(d); code != "" {
		props = append(props, "title="+escapeProperty(code))
	}
	s := "::" + cmd
	if len(props) > 0 {
		s += " " + strings.Join(props, ",")
	}
	return s + "::" + escapeData(d.Summary)
}

// escapeData escapes a workflow command's message.
func escapeData(s string) string {
	return dataEscaper.Replace(s)
}

// escapeProperty escapes a workflow command's property value.
func escapeProperty(s string) string {
	return propertyEscaper.Replace(s)
}

var (
	dataEscaper     = strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A")
	propertyEscaper = strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C")
)
