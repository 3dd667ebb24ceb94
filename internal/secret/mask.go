package secret

import (
	"errors"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Masked is the text that takes the place of a secret.
const Masked = "********"

// maskByte is the one byte Masked is made of.
const maskByte = '*'

// depth is how many layers of escaping Mask sees through: an escape of one kind inside one
// of another (a form-encoded value inside a JSON string) is two.
const depth = 2

// maxRef bounds the name of an HTML character reference between "&" and ";": "#", "x" and
// eight hexadecimal digits, or "#" and nine decimal digits, leading zeros included.
const maxRef = 10

// Mask returns text with every occurrence of each non-empty secret replaced by Masked. An
// occurrence is any stretch of text that decodes to the secret through at most two layers
// of escaping, each of which may escape any character of the layer below in any of these
// ways:
//
//   - percent-encoding of its bytes, with either case of hexadecimal digits, and "+" for a
//     space (the forms of url.QueryEscape and url.PathEscape, and of form bodies);
//   - JSON string escapes: \" \\ \/ \b \f \n \r \t and \uXXXX, surrogate pairs included;
//     \ufffd also stands for a byte that is not UTF-8, as json.Marshal writes it;
//   - HTML character references: &amp; &lt; &gt; &quot; &apos; in either case, and
//     decimal or hexadecimal numeric references (&#34; &#039; &#x27;).
//
// So a secret is found as sent, form-encoded, JSON- or HTML-escaped, and escaped by any two
// of these in turn. Occurrences that overlap are masked as one. Masking repeats until no
// occurrence is left, since a secret that begins or ends with "*" can reappear beside a
// mask; a stretch made only of "*" is left as it is, since it reads the same as a mask.
// Text that holds no secret is returned unchanged.
func Mask(text string, secrets ...string) string {
	var nonEmpty []string
	for _, s := range secrets {
		if s != "" {
			nonEmpty = append(nonEmpty, s)
		}
	}
	if len(nonEmpty) == 0 {
		return text
	}
	for {
		spans := find(text, nonEmpty)
		if len(spans) == 0 {
			return text
		}
		var b strings.Builder
		last := 0
		for _, sp := range spans {
			b.WriteString(text[last:sp.start])
			b.WriteString(Masked)
			last = sp.end
		}
		b.WriteString(text[last:])
		text = b.String()
	}
}

// MaskError returns err itself when its text holds none of secrets, and otherwise an error
// whose text is Mask of err's text. errors.Is sees through the result to err, so that
// sentinel errors still match; Unwrap and errors.As do not, since any error of err's chain
// may repeat the secret.
func MaskError(err error, secrets ...string) error {
	if err == nil {
		return nil
	}
	text := err.Error()
	if clean := Mask(text, secrets...); clean != text {
		return &maskedError{text: clean, err: err}
	}
	return err
}

// maskedError is an error whose text is masked.
type maskedError struct {
	text string
	err  error // the error as it was, for errors.Is only
}

func (e *maskedError) Error() string { return e.text }

// Is reports whether the original error matches target.
func (e *maskedError) Is(target error) bool { return errors.Is(e.err, target) }

// span is a stretch of text to mask, [start, end).
type span struct{ start, end int }

// find returns the stretches of text that hold an occurrence of one of secrets and a byte
// other than maskByte, in order, overlapping occurrences merged.
func find(text string, secrets []string) []span {
	ms := make([]*matcher, len(secrets))
	for i, s := range secrets {
		ms[i] = &matcher{text: text, secret: s, memo: map[int]int{}}
	}
	var spans []span
	for i := range len(text) {
		end := -1
		for _, m := range ms {
			if e := m.longest(0, i); e > end && !onlyMask(text[i:e]) {
				end = e
			}
		}
		if end < 0 {
			continue
		}
		if n := len(spans); n > 0 && i < spans[n-1].end {
			spans[n-1].end = max(spans[n-1].end, end)
		} else {
			spans = append(spans, span{i, end})
		}
	}
	return spans
}

// onlyMask reports whether s is made of maskByte alone.
func onlyMask(s string) bool {
	for i := range len(s) {
		if s[i] != maskByte {
			return false
		}
	}
	return true
}

// matcher finds one secret in one text.
type matcher struct {
	text   string
	secret string
	memo   map[int]int // longest of (j, p) for j > 0, keyed j*(len(text)+1)+p
}

// longest returns the end of the longest stretch of text from p that decodes to secret[j:],
// or -1 when none does.
func (m *matcher) longest(j, p int) int {
	if j == len(m.secret) {
		return p
	}
	// Every step consumes some of the secret, so (0, p) is asked once, by find.
	key := j*(len(m.text)+1) + p
	if j > 0 {
		if e, ok := m.memo[key]; ok {
			return e
		}
	}
	best := -1
	for _, st := range decode(m.text, depth, p, nil) {
		if k := consume(m.secret, j, st.s); k > j {
			best = max(best, m.longest(k, st.end))
		}
	}
	if j > 0 {
		m.memo[key] = best
	}
	return best
}

// consume returns the offset in secret after s when s is what secret holds at j, and j
// otherwise. A U+FFFD stands for one byte that is not UTF-8, as json.Marshal writes it.
func consume(secret string, j int, s string) int {
	if strings.HasPrefix(secret[j:], s) {
		return j + len(s)
	}
	if s == string(utf8.RuneError) {
		if r, n := utf8.DecodeRuneInString(secret[j:]); r == utf8.RuneError && n == 1 {
			return j + 1
		}
	}
	return j
}

// step is one way to read the text at some offset: what it decodes to (one byte, or the
// UTF-8 of one character) and the offset after it.
type step struct {
	s   string
	end int
}

// decode appends to dst every way to read one unit of text at p through at most d layers
// of escaping: as it is, or as an escape whose characters are read through d-1 layers.
func decode(text string, d, p int, dst []step) []step {
	if p >= len(text) {
		return dst
	}
	if d == 0 {
		return append(dst, step{text[p : p+1], p + 1})
	}
	inner := decode(text, d-1, p, nil)
	dst = append(dst, inner...)
	for _, c := range inner {
		if len(c.s) != 1 {
			continue
		}
		switch c.s[0] {
		case '+':
			dst = append(dst, step{" ", c.end})
		case '%':
			for _, h := range hexDigits(text, d-1, c.end, 2) {
				dst = append(dst, step{byteText[h.v], h.end})
			}
		case '\\':
			dst = jsonEscape(text, d-1, c.end, dst)
		case '&':
			dst = reference(text, d-1, c.end, dst)
		}
	}
	return dst
}

// char is one ASCII character read through some layers of escaping, and the offset after it.
type char struct {
	b   byte
	end int
}

// chars returns the ways to read one ASCII character at p through d layers.
func chars(text string, d, p int) []char {
	var out []char
	for _, st := range decode(text, d, p, nil) {
		if len(st.s) == 1 && st.s[0] < utf8.RuneSelf {
			out = append(out, char{st.s[0], st.end})
		}
	}
	return out
}

// number is a value read from digits, and the offset after them.
type number struct {
	v   int
	end int
}

// hexDigits returns the ways to read n hexadecimal digits, of either case, at p through d
// layers.
func hexDigits(text string, d, p, n int) []number {
	out := []number{{0, p}}
	for range n {
		var next []number
		for _, x := range out {
			for _, c := range chars(text, d, x.end) {
				if h, ok := unhex(c.b); ok {
					next = append(next, number{x.v<<4 | h, c.end})
				}
			}
		}
		out = next
	}
	return out
}

// jsonEscape appends the ways to read the rest of a JSON escape, after its backslash, at p
// through d layers.
func jsonEscape(text string, d, p int, dst []step) []step {
	for _, c := range chars(text, d, p) {
		switch c.b {
		case '"', '\\', '/':
			dst = append(dst, step{byteText[c.b], c.end})
		case 'b':
			dst = append(dst, step{"\b", c.end})
		case 'f':
			dst = append(dst, step{"\f", c.end})
		case 'n':
			dst = append(dst, step{"\n", c.end})
		case 'r':
			dst = append(dst, step{"\r", c.end})
		case 't':
			dst = append(dst, step{"\t", c.end})
		case 'u':
			for _, u := range hexDigits(text, d, c.end, 4) {
				r := rune(u.v)
				if utf16.IsSurrogate(r) {
					dst = lowSurrogate(text, d, r, u.end, dst)
					r = utf8.RuneError
				}
				dst = append(dst, step{string(r), u.end})
			}
		}
	}
	return dst
}

// lowSurrogate appends the characters that high, a UTF-16 high surrogate, makes with a
// \uXXXX low surrogate read at p through d layers.
func lowSurrogate(text string, d int, high rune, p int, dst []step) []step {
	for _, bs := range chars(text, d, p) {
		if bs.b != '\\' {
			continue
		}
		for _, u := range chars(text, d, bs.end) {
			if u.b != 'u' {
				continue
			}
			for _, low := range hexDigits(text, d, u.end, 4) {
				if r := utf16.DecodeRune(high, rune(low.v)); r != utf8.RuneError {
					dst = append(dst, step{string(r), low.end})
				}
			}
		}
	}
	return dst
}

// reference appends the ways to read the rest of an HTML character reference, after its
// "&", at p through d layers.
func reference(text string, d, p int, dst []step) []step {
	type partial struct {
		name string
		end  int
	}
	frontier := []partial{{"", p}}
	for len(frontier) > 0 {
		var next []partial
		for _, x := range frontier {
			for _, c := range chars(text, d, x.end) {
				switch {
				case c.b == ';':
					if s, ok := referenced(x.name); ok {
						dst = append(dst, step{s, c.end})
					}
				case len(x.name) < maxRef && (c.b == '#' || isAlnum(c.b)):
					next = append(next, partial{x.name + byteText[c.b], c.end})
				}
			}
		}
		frontier = next
	}
	return dst
}

// referenced returns the character an HTML character reference names, given what stands
// between its "&" and ";".
func referenced(name string) (string, bool) {
	switch strings.ToLower(name) {
	case "amp":
		return "&", true
	case "lt":
		return "<", true
	case "gt":
		return ">", true
	case "quot":
		return `"`, true
	case "apos":
		return "'", true
	}
	digits, ok := strings.CutPrefix(name, "#")
	if !ok || digits == "" {
		return "", false
	}
	base := 10
	if hex, ok := strings.CutPrefix(strings.ToLower(digits), "x"); ok {
		digits, base = hex, 16
	}
	if digits == "" {
		return "", false
	}
	v := 0
	for i := range len(digits) {
		var n int
		if base == 16 {
			h, ok := unhex(digits[i])
			if !ok {
				return "", false
			}
			n = h
		} else {
			if digits[i] < '0' || digits[i] > '9' {
				return "", false
			}
			n = int(digits[i] - '0')
		}
		v = v*base + n
		if v > utf8.MaxRune {
			return "", false
		}
	}
	if v == 0 || !utf8.ValidRune(rune(v)) {
		return "", false
	}
	return string(rune(v)), true
}

func isAlnum(b byte) bool {
	return '0' <= b && b <= '9' || 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z'
}

func unhex(b byte) (int, bool) {
	switch {
	case '0' <= b && b <= '9':
		return int(b - '0'), true
	case 'a' <= b && b <= 'f':
		return int(b-'a') + 10, true
	case 'A' <= b && b <= 'F':
		return int(b-'A') + 10, true
	}
	return 0, false
}

// byteText holds the one-byte string of every byte value.
var byteText = func() (t [256]string) {
	for i := range t {
		t[i] = string([]byte{byte(i)})
	}
	return t
}()
