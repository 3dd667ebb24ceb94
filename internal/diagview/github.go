package diagview

import (
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"

	"fleet/spec"

	"github.com/hashicorp/hcl/v2"
)

// GitHubOptions says how diagnostics become GitHub workflow-command annotations.
type GitHubOptions struct {
	// Limit is the most annotations of one severity written; 0 writes them all. GitHub shows
	// ten of each per step and drops the rest.
	Limit int
	// Workspace is the repository root ($GITHUB_WORKSPACE) and Workdir the directory file
	// names are relative to, both absolute. When both are set, a file inside Workspace is
	// named relative to it, with slashes, as GitHub places annotations; a job's
	// working-directory then does not misplace them. Other names are kept as they are.
	Workspace, Workdir string
	// Summary names where the annotations left out are listed, for the closing notice
	// ("the step summary"); empty says the human output lists them.
	Summary string
}

// GitHub writes one workflow-command annotation per diagnostic:
//
//	::error file=F,line=L,col=C,title=CODE::summary (group G)%0A%0Adetail
//
// With limit > 0, at most limit errors and limit warnings are written and a closing
// ::notice:: line says how many were left out.
func GitHub(w io.Writer, diags hcl.Diagnostics, limit int) error {
	_, err := GitHubWith(w, diags, GitHubOptions{Limit: limit})
	return err
}

// GitHubWith writes the annotations of diags as o says and returns the diagnostics left out
// by the limit, in order, for the caller to list elsewhere (the job's step summary).
func GitHubWith(w io.Writer, diags hcl.Diagnostics, o GitHubOptions) (hcl.Diagnostics, error) {
	var b strings.Builder
	var left hcl.Diagnostics
	var shown, hidden [2]int // by severity: 0 error, 1 warning
	for _, d := range diags {
		sev, cmd := 0, "error"
		if d.Severity == hcl.DiagWarning {
			sev, cmd = 1, "warning"
		}
		if o.Limit > 0 && shown[sev] >= o.Limit {
			hidden[sev]++
			left = append(left, d)
			continue
		}
		shown[sev]++
		b.WriteString(annotation(cmd, d, o.path))
		b.WriteString("\n")
	}
	if len(left) > 0 {
		where := "the human output lists them all"
		if o.Summary != "" {
			where = o.Summary + " lists them"
		}
		fmt.Fprintf(&b, "::notice title=fleet::%s not annotated; %s\n",
			escapeData(leftOut(hidden[0], hidden[1])), escapeData(where))
	}
	_, err := io.WriteString(w, b.String())
	return left, err
}

// leftOut says how many errors and warnings were not annotated: "3 more errors and 1 more
// warning".
func leftOut(errs, warns int) string {
	var parts []string
	if errs > 0 {
		parts = append(parts, plural(errs, "more error"))
	}
	if warns > 0 {
		parts = append(parts, plural(warns, "more warning"))
	}
	return strings.Join(parts, " and ")
}

// path returns the file name an annotation carries for name.
func (o GitHubOptions) path(name string) string {
	if o.Workspace == "" || o.Workdir == "" || name == "" {
		return name
	}
	abs := name
	if !filepath.IsAbs(abs) {
		abs = filepath.Join(o.Workdir, name)
	}
	rel, err := filepath.Rel(o.Workspace, abs)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return name
	}
	return filepath.ToSlash(rel)
}

// Annotation returns the workflow command (without its newline) for d; cmd is "error",
// "warning" or "notice". The title is the code; the message is the summary with the group
// the diagnostic is about, then the detail after a blank line.
func Annotation(cmd string, d *hcl.Diagnostic) string {
	return annotation(cmd, d, func(s string) string { return s })
}

func annotation(cmd string, d *hcl.Diagnostic, path func(string) string) string {
	var props []string
	if d.Subject != nil {
		props = append(props,
			"file="+escapeProperty(path(d.Subject.Filename)),
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
	msg := summaryWithGroup(d)
	if d.Detail != "" {
		msg += "\n\n" + d.Detail
	}
	return s + "::" + escapeData(msg)
}

// summaryWithGroup returns the summary of d followed by the group it is about, "Invalid
// purchase period (group web)", unless the summary names the group already.
func summaryWithGroup(d *hcl.Diagnostic) string {
	g := spec.DiagGroup(d)
	if g == "" || strings.Contains(d.Summary, g) {
		return d.Summary
	}
	return d.Summary + " (group " + g + ")"
}

// GitHubSummary writes the Markdown a job's step summary gets for the diagnostics left out
// of the annotations: how many, then one list item each. It writes nothing for none.
func GitHubSummary(w io.Writer, title string, left hcl.Diagnostics, o GitHubOptions) error {
	if len(left) == 0 {
		return nil
	}
	errs, warns := Counts(left)
	var b strings.Builder
	fmt.Fprintf(&b, "### %s\n\n", mdText(title))
	fmt.Fprintf(&b, "GitHub shows %d annotations of each severity; %s are not annotated:\n\n", o.Limit, leftOut(errs, warns))
	for _, d := range left {
		if d.Severity == hcl.DiagWarning {
			b.WriteString("- :warning: **Warning**")
		} else {
			b.WriteString("- :x: **Error**")
		}
		if code := spec.Code(d); code != "" {
			b.WriteString(" " + mdCode(code))
		}
		b.WriteString(": " + mdText(summaryWithGroup(d)))
		if d.Subject != nil {
			r := *d.Subject
			r.Filename = o.path(r.Filename)
			b.WriteString(" at " + mdCode(Location(r)))
		}
		b.WriteString("\n")
		if d.Detail != "" {
			b.WriteString("  " + mdText(d.Detail) + "\n")
		}
	}
	b.WriteString("\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// mdText escapes text for Markdown on one line: what would start markup is backslashed and
// line breaks become blanks.
func mdText(s string) string {
	return mdEscaper.Replace(oneLine(s))
}

// mdCode returns s as a Markdown code span, on one line; backticks in s become quotes.
func mdCode(s string) string {
	return "`" + strings.ReplaceAll(oneLine(s), "`", "'") + "`"
}

var mdEscaper = strings.NewReplacer(`\`, `\\`, "`", "\\`", "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`,
	"<", `\<`, ">", `\>`, "|", `\|`, "#", `\#`, "~", `\~`)

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
