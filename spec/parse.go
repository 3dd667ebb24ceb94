package spec

import (
	"bytes"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/json"
)

// parsedFile is one parsed spec file.
type parsedFile struct {
	body  hcl.Body
	diags hcl.Diagnostics
}

// parseUnit is a file to parse whole, or a piece of one.
type parseUnit struct {
	file  int // index in the files
	whole bool
	piece piece // when not whole
}

// parseUnits parses the units, in parallel when there are several, at most GOMAXPROCS at a
// time, and returns them in the order given.
func parseUnits(files []File, units []parseUnit) []parsedFile {
	out := make([]parsedFile, len(units))
	parse := func(k int) {
		u := units[k]
		if u.whole {
			out[k] = parseFile(files[u.file])
			return
		}
		body, diags := parsePiece(files[u.file], u.piece)
		out[k] = parsedFile{body: body, diags: diags}
	}
	if len(units) == 1 {
		parse(0)
		return out
	}
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for k := range units {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			parse(k)
			<-sem
		}()
	}
	wg.Wait()
	return out
}

// parseFile parses one spec or variable file: HCL JSON syntax when its name ends in .json,
// native otherwise. A file that is not text, or nests deeper than the parsers can recurse, is
// refused before it is parsed; every diagnostic has the code syntax.
func parseFile(f File) parsedFile {
	if r, ok := binary(f); ok {
		return parsedFile{diags: hcl.Diagnostics{newDiag(codeSyntax, &r, "Not a text file",
			"Spec and variable files are UTF-8 text, and this file holds a byte that is not (a NUL byte or an invalid UTF-8 sequence). Check that it is the file you meant; a spec directory takes every *.fleet.hcl and *.fleet.json file in it.")}}
	}
	if r, ok := tooDeep(f); !ok {
		return parsedFile{diags: hcl.Diagnostics{newDiag(codeSyntax, &r, "Expression too deeply nested",
			fmt.Sprintf("This file nests brackets, conditionals or unary operators more than %d levels deep, which no spec needs. Simplify the expression.", maxNesting))}}
	}
	var file *hcl.File
	var diags hcl.Diagnostics
	if isJSONName(f.Name) {
		file, diags = json.Parse(f.Src, f.Name)
	} else {
		file, diags = hclsyntax.ParseConfig(f.Src, f.Name, hcl.InitialPos)
	}
	for _, d := range diags {
		WithCode(codeSyntax, d)
	}
	if len(diags) > maxSyntaxDiags {
		rest := len(diags) - maxSyntaxDiags
		last := diags[maxSyntaxDiags-1]
		diags = append(diags[:maxSyntaxDiags:maxSyntaxDiags], newDiag(codeSyntax, last.Subject, "More syntax errors",
			fmt.Sprintf("This file has %d more syntax errors after this one; they are not shown. Is it a spec file? Correct the errors above first.", rest)))
	}
	var body hcl.Body
	if file != nil {
		body = file.Body
	}
	return parsedFile{body: body, diags: diags}
}

// maxNesting bounds how deeply a file may nest expressions. The parsers of both syntaxes
// recurse once per level, and a stack overflow cannot be recovered from, so a file that might
// nest deeper is refused before it is parsed.
const maxNesting = 10000

// maxSyntaxDiags is how many syntax errors of one file are reported. A file that is not a
// spec at all (a binary, say) has one at every other byte, and the first ones tell enough.
const maxSyntaxDiags = 50

// tooDeep bounds a file's expression nesting before it is parsed. Two bounds must hold: the
// number of open brackets, counted everywhere (strings and comments included), and, in
// expressions, open brackets plus the unary operators and conditionals since the start of the
// current item (a list element, an object item or an attribute), each of which adds a level to
// the parsers' recursion. It returns false and the place where a bound is passed.
func tooDeep(f File) (hcl.Range, bool) {
	jsonSyntax := isJSONName(f.Name)
	src := f.Src
	var stack []frame
	raw, run, line, lineStart := 0, 0, 1, 0
	inString := func() bool { return len(stack) > 0 && stack[len(stack)-1].kind == '"' }
	for i := 0; i < len(src); i++ {
		c := src[i]
		switch c {
		case '(', '[', '{':
			raw++
		case ')', ']', '}':
			if raw > 0 {
				raw--
			}
		case '\n':
			line, lineStart = line+1, i+1
		}
		if inString() {
			switch {
			case c == '\\':
				i++
			case c == '"':
				stack = stack[:len(stack)-1]
			case (c == '$' || c == '%') && i+1 < len(src) && src[i+1] == '{':
				if c == '$' && i > 0 && src[i-1] == '$' {
					break // $${ is an escaped ${
				}
				stack = append(stack, frame{kind: '$', run: run})
				i++
			}
		} else {
			switch {
			case c == '"':
				stack = append(stack, frame{kind: '"', run: run})
			case c == '(' || c == '[' || c == '{':
				stack = append(stack, frame{kind: c, run: run})
			case c == ')' || c == ']' || c == '}':
				if n := len(stack); n > 0 {
					run = stack[n-1].run
					stack = stack[:n-1]
				}
			case c == ',' || c == '\n' && (len(stack) == 0 || stack[len(stack)-1].kind == '{'):
				if n := len(stack); n > 0 {
					run = stack[n-1].run
				} else {
					run = 0
				}
			case jsonSyntax && !inInterp(stack):
				// JSON outside a template: numbers and structure only.
			case c == '?' || c == '!' || c == '-':
				run++
			case c == '#' || c == '/' && i+1 < len(src) && src[i+1] == '/':
				for i+1 < len(src) && src[i+1] != '\n' {
					i++
				}
			case c == '/' && i+1 < len(src) && src[i+1] == '*':
				end := bytes.Index(src[i+2:], []byte("*/"))
				if end < 0 {
					end = len(src) - i - 2
				}
				line += bytes.Count(src[i:i+2+end], []byte("\n"))
				i += 1 + end + 1
			case c == '<' && i+1 < len(src) && src[i+1] == '<':
				i = skipHeredoc(src, i, &line)
			}
		}
		if raw > maxNesting || len(stack)+run > maxNesting {
			p := hcl.Pos{Line: line, Column: i - lineStart + 1, Byte: i}
			return hcl.Range{Filename: f.Name, Start: p, End: p}, false
		}
	}
	return hcl.Range{}, true
}

// frame is an open bracket, string or interpolation seen by tooDeep.
type frame struct {
	kind byte // '(', '[', '{' (brackets), '"' (a string), '$' (an interpolation in a string)
	run  int  // the run when the frame was opened
}

// inInterp reports whether a JSON file's scan is inside an interpolation of a string.
func inInterp(stack []frame) bool {
	for i := len(stack) - 1; i >= 0; i-- {
		if stack[i].kind == '$' {
			return true
		}
	}
	return false
}

// skipHeredoc skips a heredoc starting at src[i] ("<<" or "<<-", a name, a newline, lines,
// the name alone on a line) and returns the index of its last byte; it returns i+1 when the
// text there is not a heredoc.
func skipHeredoc(src []byte, i int, line *int) int {
	j := i + 2
	if j < len(src) && src[j] == '-' {
		j++
	}
	start := j
	for j < len(src) && (src[j] == '_' || src[j] >= 'a' && src[j] <= 'z' || src[j] >= 'A' && src[j] <= 'Z' || src[j] >= '0' && src[j] <= '9') {
		j++
	}
	name := src[start:j]
	if len(name) == 0 || j >= len(src) || src[j] != '\n' && src[j] != '\r' {
		return i + 1
	}
	for j < len(src) {
		nl := bytes.IndexByte(src[j:], '\n')
		if nl < 0 {
			return len(src) - 1
		}
		j += nl + 1
		*line++
		end := bytes.IndexByte(src[j:], '\n')
		if end < 0 {
			end = len(src) - j
		}
		if bytes.Equal(bytes.TrimSpace(src[j:j+end]), name) {
			return j + end - 1
		}
	}
	return len(src) - 1
}

// binary reports whether a file is not UTF-8 text, and where the first offending byte is.
func binary(f File) (hcl.Range, bool) {
	line, col := 1, 1
	for i := 0; i < len(f.Src); {
		r, size := utf8.DecodeRune(f.Src[i:])
		if r == 0 || r == utf8.RuneError && size <= 1 {
			p := hcl.Pos{Line: line, Column: col, Byte: i}
			return hcl.Range{Filename: f.Name, Start: p, End: hcl.Pos{Line: line, Column: col + 1, Byte: i + 1}}, true
		}
		if r == '\n' {
			line, col = line+1, 0
		}
		col++
		i += size
	}
	return hcl.Range{}, false
}

func isJSONName(name string) bool { return strings.HasSuffix(name, ".json") }
