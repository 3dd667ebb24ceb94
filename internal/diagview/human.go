package diagview

import (
	"bytes"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"fleet/spec"

	"github.com/fatih/color"
	"github.com/hashicorp/hcl/v2"
	"github.com/mitchellh/go-wordwrap"
	"golang.org/x/text/width"
)

// DefaultWidth is the column at which Human wraps details.
const DefaultWidth = 78

// maxSnippetLines is the most source lines shown for one diagnostic; longer ranges are cut.
const maxSnippetLines = 5

// Printer renders diagnostics for people. The zero value prints without sources, without
// colour, wrapped at DefaultWidth.
type Printer struct {
	// Sources holds each spec file's bytes by the file name the diagnostics' ranges use.
	Sources map[string][]byte
	// Color turns on ANSI colours; the caller decides (a terminal and no NO_COLOR).
	Color bool
	// Width is the column at which details wrap; 0 means DefaultWidth.
	Width int

	lineCache map[string][]lineSpan // line spans of each source, by file name
}

// Human writes every diagnostic of diags and a closing count line to w. Nothing is written
// when diags is empty.
func Human(w io.Writer, diags hcl.Diagnostics, sources map[string][]byte, color bool) error {
	if len(diags) == 0 {
		return nil
	}
	p := &Printer{Sources: sources, Color: color}
	for _, d := range diags {
		if err := p.Diagnostic(w, d); err != nil {
			return err
		}
	}
	return p.Count(w, diags)
}

// Diagnostic writes one diagnostic, followed by a blank line:
//
//	Error: Period out of range [period-range]
//
//	  on web.fleet.hcl:3:12
//	  3 |   period = 48
//	    |            ^^
//
//	The period is a number of months from 1 to 36. Set period to ...
func (p *Printer) Diagnostic(w io.Writer, d *hcl.Diagnostic) error {
	var b bytes.Buffer
	sev, paint := "Error", p.paint(color.FgRed, color.Bold)
	if d.Severity == hcl.DiagWarning {
		sev, paint = "Warning", p.paint(color.FgYellow, color.Bold)
	}
	b.WriteString(paint(sev + ":"))
	b.WriteString(" ")
	b.WriteString(p.paint(color.Bold)(oneLine(d.Summary)))
	if code := spec.Code(d); code != "" {
		b.WriteString(" [" + code + "]")
	}
	b.WriteString("\n")
	if d.Subject != nil {
		b.WriteString("\n  on ")
		b.WriteString(printable(Location(*d.Subject)))
		b.WriteString("\n")
		p.snippet(&b, *d.Subject, paint)
	}
	if detail := strings.TrimSpace(printable(d.Detail)); detail != "" {
		b.WriteString("\n")
		b.WriteString(p.wrap(detail))
		b.WriteString("\n")
	}
	b.WriteString("\n")
	_, err := w.Write(b.Bytes())
	return err
}

// Count writes the closing line: "2 errors, 1 warning." or "No problems found.".
func (p *Printer) Count(w io.Writer, diags hcl.Diagnostics) error {
	errs, warns := Counts(diags)
	var line string
	switch {
	case errs == 0 && warns == 0:
		line = "No problems found."
	default:
		line = plural(errs, "error") + ", " + plural(warns, "warning") + "."
	}
	_, err := fmt.Fprintln(w, line)
	return err
}

// Counts returns the number of errors and of warnings in diags.
func Counts(diags hcl.Diagnostics) (errors, warnings int) {
	for _, d := range diags {
		if d.Severity == hcl.DiagWarning {
			warnings++
		} else {
			errors++
		}
	}
	return errors, warnings
}

// Location returns a range's start as FILE:LINE:COL.
func Location(r hcl.Range) string {
	return r.Filename + ":" + strconv.Itoa(r.Start.Line) + ":" + strconv.Itoa(r.Start.Column)
}

// plural returns "1 error", "2 errors".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

// paint returns a function colouring text with attrs, or leaving it as is without colour.
func (p *Printer) paint(attrs ...color.Attribute) func(string) string {
	if !p.Color {
		return func(s string) string { return s }
	}
	c := color.New(attrs...)
	c.EnableColor()
	return func(s string) string { return c.Sprint(s) }
}

// wrap wraps each paragraph of text at the printer's width.
func (p *Printer) wrap(text string) string {
	lim := p.Width
	if lim <= 0 {
		lim = DefaultWidth
	}
	var out []string
	for _, para := range strings.Split(text, "\n") {
		out = append(out, wordwrap.WrapString(para, uint(lim)))
	}
	return strings.Join(out, "\n")
}

// snippet writes the source lines of r with a marker under the part of each line that r
// covers. It writes nothing when the file's source is unknown or r lies outside it.
func (p *Printer) snippet(b *bytes.Buffer, r hcl.Range, paint func(string) string) {
	src, ok := p.Sources[r.Filename]
	if !ok || r.Start.Line < 1 || r.End.Line < r.Start.Line {
		return
	}
	lines := p.lines(r.Filename, src)
	if r.Start.Line > len(lines) {
		return
	}
	last := min(r.End.Line, len(lines), r.Start.Line+maxSnippetLines-1)
	gutter := len(strconv.Itoa(last))
	for n := r.Start.Line; n <= last; n++ {
		ln := lines[n-1]
		text := strings.TrimRight(string(src[ln.start:ln.end]), "\r")
		from, to := markCols(r, n, ln, text)
		if cut, ok := secretValue(text); ok {
			// The line sets a secret as a literal: show its name, never its value.
			text = text[:cut] + hiddenValue
			if to > cut {
				to = len(text)
			}
			from = min(from, len(text))
		}
		text, from, to = window(text, from, to)
		fmt.Fprintf(b, "  %*d | %s\n", gutter, n, printable(text))
		if to > from || r.Start.Line == r.End.Line {
			fmt.Fprintf(b, "  %*s | %s%s\n", gutter, "", pad(text, from), paint(strings.Repeat("^", max(1, displayWidth(text, from, to)))))
		}
	}
	if last < r.End.Line && last < len(lines) {
		fmt.Fprintf(b, "  %*s | ...\n", gutter, "")
	}
}

// hiddenValue replaces a secret literal in source lines.
const hiddenValue = `"(sensitive value hidden)"`

// secretLine matches a line that sets an attribute whose name says it holds a secret, in
// native or JSON syntax, to a string literal; the second group is the literal and the rest.
var secretLine = regexp.MustCompile(`(?i)^(\s*"?[a-z0-9_-]*(?:password|passwd|secret|token)[a-z0-9_-]*"?\s*[=:]\s*)("|<<)`)

// secretValue reports whether the line sets a secret to a literal, and where the literal
// starts.
func secretValue(line string) (int, bool) {
	m := secretLine.FindStringSubmatchIndex(line)
	if m == nil {
		return 0, false
	}
	return m[3], true
}

type lineSpan struct{ start, end int } // byte offsets of a line, without its newline

// lines returns the line spans of a source file, computed once per file.
func (p *Printer) lines(name string, src []byte) []lineSpan {
	if ls, ok := p.lineCache[name]; ok {
		return ls
	}
	if p.lineCache == nil {
		p.lineCache = map[string][]lineSpan{}
	}
	ls := splitLines(src)
	p.lineCache[name] = ls
	return ls
}

// maxLineBytes is the longest source line shown whole; of a longer one (minified JSON, a
// huge generated file) only a window around the marked part is shown.
const maxLineBytes = 160

// window cuts a long line down to maxLineBytes or so around the marked bytes [from, to),
// marking the cuts with "…", and returns the new line and marked bytes.
func window(text string, from, to int) (string, int, int) {
	if len(text) <= maxLineBytes {
		return text, from, to
	}
	const around = 40
	start := max(0, from-around)
	end := min(len(text), max(to, from+1)+around, start+maxLineBytes)
	for start > 0 && !utf8.RuneStart(text[start]) {
		start--
	}
	for end < len(text) && !utf8.RuneStart(text[end]) {
		end++
	}
	prefix, suffix := "", ""
	if start > 0 {
		prefix = "…"
	}
	if end < len(text) {
		suffix = "…"
	}
	shift := func(off int) int { return min(max(off, start), end) - start + len(prefix) }
	return prefix + text[start:end] + suffix, shift(from), shift(to)
}

// splitLines returns the spans of the lines of src; a last line without a newline counts.
func splitLines(src []byte) []lineSpan {
	var out []lineSpan
	start := 0
	for i, c := range src {
		if c == '\n' {
			out = append(out, lineSpan{start, i})
			start = i + 1
		}
	}
	return append(out, lineSpan{start, len(src)})
}

// markCols returns the byte offsets within line n's text that r covers. It trusts the
// range's byte offsets when they agree with the line, else its columns.
func markCols(r hcl.Range, n int, ln lineSpan, text string) (from, to int) {
	from, to = 0, len(text)
	if n == r.Start.Line {
		from = colOffset(r.Start, ln, text)
	}
	if n == r.End.Line {
		to = colOffset(r.End, ln, text)
	}
	if n == r.Start.Line && n == r.End.Line && to <= from && from < len(text) {
		// An empty range still gets one marker.
		_, size := utf8.DecodeRuneInString(text[from:])
		to = from + size
	}
	if from > len(text) {
		from = len(text)
	}
	if to > len(text) {
		to = len(text)
	}
	if n != r.Start.Line {
		// Continuation lines are marked from their first non-blank character.
		from = len(text) - len(strings.TrimLeft(text, " \t"))
	}
	from, to = max(from, 0), max(to, 0)
	if to < from {
		to = from
	}
	return from, to
}

// colOffset returns the byte offset within a line of pos.
func colOffset(pos hcl.Pos, ln lineSpan, text string) int {
	if pos.Byte >= ln.start && pos.Byte <= ln.start+len(text) {
		return pos.Byte - ln.start
	}
	off, col := 0, 1
	for off < len(text) && col < pos.Column {
		_, size := utf8.DecodeRuneInString(text[off:])
		off += size
		col++
	}
	return off
}

// pad returns the blanks that put a marker under byte offset off of text, keeping tabs.
func pad(text string, off int) string {
	off = min(max(off, 0), len(text))
	var b strings.Builder
	for _, r := range text[:off] {
		if r == '\t' {
			b.WriteByte('\t')
			continue
		}
		b.WriteString(strings.Repeat(" ", runeWidth(r)))
	}
	return b.String()
}

// displayWidth returns how many terminal columns text[from:to] takes, or 0 for a bad span.
func displayWidth(text string, from, to int) int {
	if from < 0 || to > len(text) || to <= from {
		return 0
	}
	n := 0
	for _, r := range text[from:to] {
		n += runeWidth(r)
	}
	return n
}

// runeWidth returns the terminal columns of r: 2 for East Asian wide characters, else 1.
func runeWidth(r rune) int {
	switch width.LookupRune(r).Kind() {
	case width.EastAsianWide, width.EastAsianFullwidth:
		return 2
	}
	return 1
}

// oneLine folds a summary onto one line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(printable(s)), " ")
}

// printable replaces each invalid byte and each control character but tab and newline by
// U+FFFD, one for one, so that a file of random bytes cannot drive the terminal and markers
// stay aligned.
func printable(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r == utf8.RuneError || (r < 0x20 && r != '\t' && r != '\n') || (r >= 0x7f && r < 0xa0) {
			r = utf8.RuneError
		}
		b.WriteRune(r)
	}
	return b.String()
}
