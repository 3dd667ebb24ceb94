package spec

import (
	"bytes"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// A large fleet is mostly group blocks, and the syntax tree of a block weighs some twenty
// times its text. Load therefore does not parse every file before it evaluates: what may
// declare anything a group depends on (the fleet block, variables, locals, defaults) is
// parsed first, and then the group blocks are parsed and evaluated piece by piece, a few
// pieces at a time, so that the tree of a piece is dropped as soon as its groups are built.
// How a file splits into such pieces is guessed before parsing by splitFile, a cheap look
// at its text; the guess is checked on each parsed piece, and when it was wrong (or a piece
// has a syntax error, which may hide anything) Load starts again the plain way, parsing
// every file whole first, so a wrong guess costs time, never correctness.

// streamChunk is the size from which a run of group blocks is cut into pieces that are
// parsed one by one.
var streamChunk = 64 << 10

// piece is a part of a file's text made of whole top-level items.
type piece struct {
	start, end int     // byte offsets in the file
	pos        hcl.Pos // the position of start
	groups     bool    // the items are group blocks; else they are anything but
}

// splitFile cuts the native-syntax text src into pieces of whole top-level items: runs of
// group blocks of about streamChunk bytes, and runs of other items between them. Each cut is
// at the start of an item that only blanks precede on its line. It looks at brackets,
// strings, template interpolations, comments and heredocs, and reports false when the text
// looks unusual in any way (it then is parsed whole).
func splitFile(src []byte) ([]piece, bool) {
	var stack []byte // open '(', '[', '{', '"' (a string) and '$' (an interpolation)
	var pieces []piece
	inGroup := false                   // the current item is a group block
	lineStart, blankLine := true, true // blankLine: only blanks since the line began
	for i := 0; i < len(src); i++ {
		c := src[i]
		if n := len(stack); n > 0 && stack[n-1] == '"' {
			switch {
			case c == '\\':
				i++
			case c == '"':
				stack = stack[:n-1]
			case c == '\n':
				return nil, false // a string does not span lines: something is unusual here
			case (c == '$' || c == '%') && i+2 < len(src) && src[i+1] == c && src[i+2] == '{':
				i += 2 // $${ and %%{ are escapes, not interpolations
			case (c == '$' || c == '%') && i+1 < len(src) && src[i+1] == '{':
				stack = append(stack, '$')
				i++
			}
			continue
		}
		switch c {
		case ' ', '\t', '\r':
			continue
		case '\n':
			if len(stack) == 0 {
				lineStart = true
			}
			blankLine = true
			continue
		case '#':
			i = skipLine(src, i)
			continue
		case '/':
			if i+1 < len(src) && src[i+1] == '/' {
				i = skipLine(src, i)
				continue
			}
			if i+1 < len(src) && src[i+1] == '*' {
				end := bytes.Index(src[i+2:], []byte("*/"))
				if end < 0 {
					return nil, false
				}
				i += end + 3
				blankLine = false
				continue
			}
		}
		if len(stack) == 0 && lineStart {
			// The start of a top-level item.
			inGroup = bytes.HasPrefix(src[i:], []byte("group")) && (i+5 == len(src) || !isIdentByte(src[i+5]))
			switch n := len(pieces); {
			case n == 0:
				pieces = append(pieces, piece{start: 0, groups: inGroup})
			case pieces[n-1].groups != inGroup || inGroup && i-pieces[n-1].start >= streamChunk:
				if blankLine {
					pieces[n-1].end = i
					pieces = append(pieces, piece{start: i, groups: inGroup})
				} else if pieces[n-1].groups != inGroup {
					return nil, false
				}
			}
			lineStart = false
			if inGroup {
				i += 4
				blankLine = false
				continue
			}
		} else if len(stack) == 0 && inGroup && c != '"' && c != '{' && !isIdentByte(c) {
			return nil, false // a group block's header holds labels and a brace only
		}
		blankLine = false
		switch c {
		case '"':
			stack = append(stack, '"')
		case '(', '[', '{':
			stack = append(stack, c)
		case ')', ']', '}':
			n := len(stack)
			if n == 0 {
				return nil, false
			}
			stack = stack[:n-1]
		case '<':
			if i+1 < len(src) && src[i+1] == '<' {
				line := 0
				i = skipHeredoc(src, i, &line)
			}
		}
	}
	if len(stack) > 0 {
		return nil, false
	}
	if len(pieces) == 0 {
		return []piece{{end: len(src), pos: hcl.InitialPos, groups: true}}, true
	}
	pieces[len(pieces)-1].end = len(src)
	pos := hcl.InitialPos
	for k := range pieces {
		p := &pieces[k]
		if k > 0 {
			// A piece starts a line that only blanks precede: column 1 plus the blanks.
			nl := bytes.LastIndexByte(src[:p.start], '\n')
			pos = hcl.Pos{Line: pos.Line + bytes.Count(src[pieces[k-1].start:p.start], []byte{'\n'}), Column: p.start - nl, Byte: p.start}
		}
		p.pos = pos
	}
	return pieces, true
}

// skipLine returns the index of the last byte before the newline that ends the line at i.
func skipLine(src []byte, i int) int {
	if nl := bytes.IndexByte(src[i:], '\n'); nl >= 0 {
		return i + nl - 1
	}
	return len(src) - 1
}

func isIdentByte(c byte) bool {
	return c == '_' || c == '-' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// streamable returns the pieces of a file whose group blocks may be parsed and evaluated
// after everything else, piece by piece: a native-syntax file of UTF-8 text, not nested too
// deeply, that splitFile can cut and that holds group blocks.
func streamable(f File) ([]piece, bool) {
	if isJSONName(f.Name) {
		return nil, false
	}
	pieces, ok := splitFile(f.Src)
	if !ok {
		return nil, false
	}
	hasGroups := false
	for _, p := range pieces {
		hasGroups = hasGroups || p.groups
	}
	if !hasGroups {
		return nil, false
	}
	if _, bad := binary(f); bad {
		return nil, false
	}
	if _, ok := tooDeep(f); !ok {
		return nil, false
	}
	return pieces, true
}

// parsePiece parses one piece of a file.
func parsePiece(f File, p piece) (hcl.Body, hcl.Diagnostics) {
	file, diags := hclsyntax.ParseConfig(f.Src[p.start:p.end], f.Name, p.pos)
	for _, d := range diags {
		WithCode(codeSyntax, d)
	}
	if file == nil {
		return nil, diags
	}
	return file.Body, diags
}

// onlyBlocks reports whether a parsed body holds blocks and no attributes, all of type
// "group" when groups is set and none of that type otherwise: what splitFile guessed.
func onlyBlocks(body hcl.Body, groups bool) bool {
	nb, ok := body.(*hclsyntax.Body)
	if !ok {
		return false
	}
	if groups && len(nb.Attributes) > 0 {
		return false
	}
	for _, b := range nb.Blocks {
		if (b.Type == "group") != groups {
			return false
		}
	}
	return true
}

// fileGroups is what the group blocks of one file yield.
type fileGroups struct {
	diags  hcl.Diagnostics // the syntax and structure diagnostics of its pieces of groups
	blocks []blockResult   // one per group block, in the file's order
}

// streamGroups parses the pieces of groups of each file at the given indices and evaluates
// their group blocks at once, a few pieces at a time; the fleet block, variables, locals and
// defaults must be known. It returns the result of each file by its index, or false when a
// piece turns out to hold more than group blocks or to have a syntax error: the caller must
// then load the plain way.
func (l *loader) streamGroups(files []File, idx []int, pieces [][]piece) ([]fileGroups, bool) {
	type job struct{ file, piece int }
	var jobs []job
	for _, i := range idx {
		for k, p := range pieces[i] {
			if p.groups {
				jobs = append(jobs, job{i, k})
			}
		}
	}
	perJob := make([]fileGroups, len(jobs))
	var next atomic.Int64
	var wrong atomic.Bool
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(jobs)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !wrong.Load() {
				j := int(next.Add(1)) - 1
				if j >= len(jobs) {
					return
				}
				f := files[jobs[j].file]
				body, diags := parsePiece(f, pieces[jobs[j].file][jobs[j].piece])
				if diags.HasErrors() || !onlyBlocks(body, true) {
					wrong.Store(true)
					return
				}
				_, blocks, ds := content(body, topSchema)
				fg := fileGroups{diags: append(diags, ds...), blocks: make([]blockResult, 0, len(blocks))}
				body = nil
				for _, b := range blocks {
					fg.blocks = append(fg.blocks, l.groupBlockChecked(b))
				}
				perJob[j] = fg
			}
		}()
	}
	wg.Wait()
	if wrong.Load() {
		return nil, false
	}
	out := make([]fileGroups, len(files))
	for j, jb := range jobs {
		fg := &out[jb.file]
		fg.diags = append(fg.diags, perJob[j].diags...)
		fg.blocks = append(fg.blocks, perJob[j].blocks...)
	}
	return out, true
}
